import { type Carrier, FramedLink } from '../../src/transport/framed-link.js'
import { Reassembler } from '../../src/transport/framing.js'

/**
 * Two framed links joined in memory (frames delivered on later microtasks, in order),
 * and every whole message `a` sent, for tests of what crosses a link.
 */
export function linkPair(): { a: FramedLink; b: FramedLink; sentByA: Uint8Array[] } {
  const sentByA: Uint8Array[] = []
  const reassemble = new Reassembler({ maxMessageBytes: 1 << 20 })
  const carrier = (to: () => FramedLink, record?: (frame: Uint8Array) => void): Carrier => ({
    send(frame) {
      if (record) {
        const m = reassemble.push(frame.slice())
        if (m) record(m)
      }
      queueMicrotask(() => to().carrierFrame(frame.slice()))
    },
    bufferedAmount: () => 0,
    close: () => queueMicrotask(() => to().carrierClosed()),
    pollIntervalMs: 10,
  })
  const a: FramedLink = new FramedLink(
    carrier(
      () => b,
      (m) => sentByA.push(m),
    ),
    { kind: 'sim', direction: 'out', maxMessageBytes: 1 << 20 },
  )
  const b: FramedLink = new FramedLink(carrier(() => a), { kind: 'sim', direction: 'in', maxMessageBytes: 1 << 20 })
  return { a, b, sentByA }
}
