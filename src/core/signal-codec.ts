import { malformed } from './errors.js'
import { Reader, Writer } from './wire.js'

/**
 * Link requests that travel through the mesh (a direct message with purpose
 * 'signal'), so a peer can open a link to a peer it learned of by peer exchange
 * without any tracker. The transport's offer/answer rides inside as `payload`.
 *
 *   u8 op | u8 reason | u8 senderDegree | payload
 */
export type SignalOp = 'request' | 'accept' | 'refuse' | 'extra'
/**
 * Why a link is asked for; a full peer makes room only for some reasons:
 * needy (the asker is nearly isolated), near (we would be among each other's
 * XOR-closest), shuffle (a random link that keeps the mesh an expander).
 */
export type LinkReason = 'plain' | 'needy' | 'near' | 'shuffle'

const OPS: readonly SignalOp[] = ['request', 'accept', 'refuse', 'extra']
const REASONS: readonly LinkReason[] = ['plain', 'needy', 'near', 'shuffle']

export interface SignalMessage {
  op: SignalOp
  reason: LinkReason
  degree: number
  payload: Uint8Array
}

export function encodeSignal(s: SignalMessage): Uint8Array {
  return new Writer(3 + s.payload.length)
    .u8(OPS.indexOf(s.op))
    .u8(REASONS.indexOf(s.reason))
    .u8(Math.min(255, s.degree))
    .bytes(s.payload)
    .finish()
}

export function decodeSignal(bytes: Uint8Array): SignalMessage {
  const r = new Reader(bytes, 'signal')
  const op = OPS[r.u8()]
  const reason = REASONS[r.u8()]
  if (!op || !reason) throw malformed('signal: unknown op or reason')
  return { op, reason, degree: r.u8(), payload: r.rest() }
}
