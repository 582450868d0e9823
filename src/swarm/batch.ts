import { type BodyParts, type ContentType, joinBody } from '../core/envelope.js'
import { malformed } from '../core/errors.js'
import { Reader, Writer } from '../core/wire.js'

/**
 * Send batching: application messages that pile up for one destination while the
 * previous one is being signed travel together in one envelope, so one signature
 * (and, at every receiver, one verification) covers them all. Ed25519 costs ~50 µs
 * to sign and ~150 µs to verify on this machine, far more than a data channel
 * spends on a 1 KiB message (~30 µs), so per-message signatures capped a stream at
 * ~3k msgs/s whatever the link could do. Nothing waits for company: a message that
 * finds its queue idle goes at once, alone and in the ordinary format, so a lone
 * request or chat line costs what it did. Only a backlog is batched, and it is sent
 * the moment the signature in flight is done, in order.
 *
 * Batch body (the envelope's content type is 'batch'; canonical: one encoding per
 * batch, no trailing bytes):
 * ```
 * u8 count (2..255) | count × ( u8 contentType (bytes 0, text 1, json 2) | u8 tagLen tag | u32 bodyLen body )
 * ```
 */

/** One application message: its content type, application type tag and body. */
export interface BatchItem {
  /** Never 'batch': batches do not nest. */
  contentType: ContentType
  tag: Uint8Array
  body: Uint8Array
}

/** What goes to the core: a single item as it is, or a batch of them (its body in parts). */
export interface Outgoing {
  contentType: ContentType
  tag: Uint8Array
  body: BodyParts
}

const ITEM_TYPES: readonly ContentType[] = ['bytes', 'text', 'json']
const MAX_ITEMS = 255
const MAX_TAG_BYTES = 64
const EMPTY = new Uint8Array(0)

/** Bytes `item` takes inside a batch body. */
export function batchItemBytes(item: BatchItem): number {
  return 6 + item.tag.length + item.body.length
}

/** Encode 2..255 items as one batch body. Throws RangeError otherwise (a local bug). */
export function encodeBatch(items: BatchItem[]): Uint8Array {
  return joinBody(encodeBatchParts(items))
}

/**
 * The batch body as parts (the count and each item's header in one small buffer,
 * each item's body as it is), for the envelope to copy once: a batch of 15 × 16 KiB
 * no longer makes a 256 KiB buffer of its own on the way.
 */
export function encodeBatchParts(items: BatchItem[]): Uint8Array[] {
  if (items.length < 2 || items.length > MAX_ITEMS) throw new RangeError('a batch holds 2 to 255 items')
  let headBytes = 1
  for (const item of items) headBytes += 6 + item.tag.length
  const w = new Writer(headBytes)
  w.u8(items.length)
  for (const item of items) {
    const type = ITEM_TYPES.indexOf(item.contentType)
    if (type < 0) throw new RangeError('batches do not nest')
    w.u8(type).short(item.tag).u32(item.body.length)
  }
  const heads = w.finish()
  const parts: Uint8Array[] = []
  let at = 0
  for (const [i, item] of items.entries()) {
    const headEnd = at + (i === 0 ? 1 : 0) + 6 + item.tag.length
    parts.push(heads.subarray(at, headEnd), item.body)
    at = headEnd
  }
  return parts
}

/**
 * Decode untrusted batch bytes (already signature-checked, but from any peer).
 * Throws PeerweaveError ERR_MALFORMED on anything that is not a canonical batch.
 * Item bodies are views into `bytes`.
 */
export function decodeBatch(bytes: Uint8Array): BatchItem[] {
  const r = new Reader(bytes, 'batch')
  const count = r.u8()
  if (count < 2) throw malformed('batch: fewer than two items')
  const items: BatchItem[] = []
  for (let i = 0; i < count; i++) {
    const contentType = ITEM_TYPES[r.u8()]
    if (!contentType) throw malformed('batch: unknown item content type')
    const tag = r.short()
    if (tag.length > MAX_TAG_BYTES) throw malformed('batch: tag too long')
    const body = r.take(r.u32())
    items.push({ contentType, tag, body })
  }
  r.end()
  return items
}

interface Entry {
  item: BatchItem
  send: (m: Outgoing) => Promise<unknown>
  resolve: () => void
  reject: (err: unknown) => void
}

interface Queue {
  entries: Entry[]
  busy: boolean
}

/**
 * Per-destination send queues. `push` resolves when its message has been handed on
 * (alone or in a batch) and rejects with whatever sending it failed with.
 */
export class Batcher {
  private readonly queues = new Map<string, Queue>()

  /** @param maxBatchBytes largest batch body; a message bigger than this always goes alone. */
  constructor(private readonly maxBatchBytes: number) {}

  /**
   * Send `item` to `key` (a target address, or one key for broadcast) with `send`:
   * at once when nothing for `key` is in flight, else with the backlog once it is.
   */
  push(key: string, item: BatchItem, send: (m: Outgoing) => Promise<unknown>): Promise<void> {
    let q = this.queues.get(key)
    if (!q) {
      q = { entries: [], busy: false }
      this.queues.set(key, q)
    }
    const queue = q
    return new Promise<void>((resolve, reject) => {
      queue.entries.push({ item, send, resolve, reject })
      if (!queue.busy) this.next(key, queue)
    })
  }

  private next(key: string, q: Queue): void {
    if (q.entries.length === 0) {
      this.queues.delete(key)
      return
    }
    // The longest run from the head that fits in one batch; at least one message.
    let bytes = 1
    let n = 0
    while (n < q.entries.length && n < MAX_ITEMS) {
      const b = batchItemBytes(q.entries[n]!.item)
      if (n > 0 && bytes + b > this.maxBatchBytes) break
      bytes += b
      n++
    }
    const taken = q.entries.splice(0, n)
    const { item: first, send } = taken[0]!
    q.busy = true
    let sent: Promise<unknown>
    try {
      sent =
        n === 1 ? send(first) : send({ contentType: 'batch', tag: EMPTY, body: encodeBatchParts(taken.map((e) => e.item)) })
    } catch (err) {
      sent = Promise.reject(err)
    }
    sent.then(
      () => {
        for (const e of taken) e.resolve()
        q.busy = false
        this.next(key, q)
      },
      (err: unknown) => {
        for (const e of taken) e.reject(err)
        q.busy = false
        this.next(key, q)
      },
    )
  }
}
