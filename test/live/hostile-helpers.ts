import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import WebSocket from 'ws'
import { encodePacket, type Packet } from '../../src/core/packet.js'
import type { Signer } from '../../src/core/types.js'
import type { Membership } from '../../src/crypto/swarm-key.js'
import {
  decodeNonce,
  decodeProof,
  encodeHello,
  encodeHelloBody,
  encodeNonce,
  encodeProof,
  helloSignedBytes,
} from '../../src/transport/hello.js'
import { wsBinding } from '../../src/transport/sdp.js'

/**
 * A hostile peer that speaks raw frames over a real WebSocket link: it runs the
 * identity handshake by hand (with its own key, and a membership proof when given
 * one), then sends whatever bytes a test crafts, frame by frame, bypassing every
 * check our own link code would make on the way out.
 */
export class RawPeer {
  private readonly inbox: Uint8Array[] = []
  private waiting: (() => void) | undefined
  readonly closed: Promise<number>

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer'
    ws.on('message', (d: Buffer) => {
      this.inbox.push(new Uint8Array(d))
      this.waiting?.()
    })
    ws.on('error', () => {}) // the far side closing on us is the point of most tests
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)))
  }

  /** Open a socket to `url` (no handshake yet). */
  static async open(url: string): Promise<RawPeer> {
    const ws = new WebSocket(url)
    // Listen before 'open': the bridge's NONCE can arrive with the upgrade response itself.
    const peer = new RawPeer(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return peer
  }

  /** Open and run the handshake as `identity` (dialer role); resolves once the bridge's HELLO arrived. */
  static async link(url: string, identity: Signer, membership?: Membership): Promise<RawPeer> {
    const p = await RawPeer.open(`${url}/?reason=needy`)
    const myNonce = globalThis.crypto.getRandomValues(new Uint8Array(32))
    p.sendMessage(encodeNonce(myNonce))
    const binding = wsBinding(myNonce, decodeNonce(await p.nextMessage()))
    if (membership) {
      p.sendMessage(encodeProof(membership.proof(0, binding)))
      decodeProof(await p.nextMessage())
    }
    const body = encodeHelloBody({ publicKey: identity.publicKey, metadata: undefined, bridgeUrl: undefined })
    p.sendMessage(encodeHello(body, await identity.sign(helloSignedBytes(0, binding, body))))
    await p.nextMessage() // their HELLO
    return p
  }

  /** One raw frame, exactly these bytes. */
  sendFrame(frame: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame)
  }

  /** One small message as a WHOLE frame (kind 0x00). */
  sendMessage(message: Uint8Array): void {
    const frame = new Uint8Array(message.length + 1)
    frame.set(message, 1)
    this.sendFrame(frame)
  }

  sendPacket(p: Packet): void {
    this.sendMessage(encodePacket(p))
  }

  /** The payload of the next WHOLE frame the bridge sends (handshake messages are small). */
  async nextMessage(): Promise<Uint8Array> {
    while (this.inbox.length === 0) {
      if (this.ws.readyState !== WebSocket.OPEN) throw new Error('socket closed')
      await new Promise<void>((resolve) => {
        this.waiting = resolve
        this.ws.once('close', () => resolve())
      })
    }
    return this.inbox.shift()!.subarray(1)
  }

  /** Every frame received so far (for "what did an outsider see"). */
  received(): Uint8Array[] {
    return [...this.inbox]
  }

  close(): void {
    this.ws.terminate()
  }
}

/** A FIRST frame that declares `total` bytes and carries `payload` of them. */
export function firstFrame(total: number, payloadBytes: number): Uint8Array {
  const f = new Uint8Array(5 + payloadBytes)
  f[0] = 1
  new DataView(f.buffer).setUint32(1, total)
  return f
}

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Heap plus ArrayBuffers in use after a full GC, in bytes. */
export function memoryInUse(): number {
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

export const MB = 1024 * 1024
