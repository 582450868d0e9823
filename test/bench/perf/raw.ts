/**
 * The baseline: bare simple-peer data channels over the same RTC implementation
 * and the same settings peerweave's links use (trickle off, no ICE servers) — what
 * a hand-made mesh would run on. No framing, no envelope, no signatures.
 */
import SimplePeer from 'simple-peer'
import type { RtcImplementation } from '../../../src/transport/rtc-link.js'
import { rtcName } from './rtc.js'
import { withRetries, within } from './util.js'

export type RawPeer = SimplePeer.Instance

/** Two connected simple-peers (in-process signalling). */
export function rawPair(rtc: RtcImplementation): Promise<[RawPeer, RawPeer]> {
  return withRetries(`${rtcName(rtc)} raw connect`, () => rawPairOnce(rtc))
}

/** One attempt; rejects (and frees both ends) when the pair does not connect. */
export async function rawPairOnce(rtc: RtcImplementation): Promise<[RawPeer, RawPeer]> {
  const opts = { trickle: false, wrtc: rtc as SimplePeer.Options['wrtc'], config: { iceServers: [] } }
  const a = new SimplePeer({ ...opts, initiator: true })
  const b = new SimplePeer(opts)
  a.on('signal', (s) => b.signal(s))
  b.on('signal', (s) => a.signal(s))
  const connected = (p: RawPeer) =>
    new Promise<void>((resolve, reject) => {
      p.once('connect', () => resolve())
      p.once('error', reject)
    })
  try {
    await within(Promise.all([connected(a), connected(b)]), 20_000, 'raw connect')
  } catch (err) {
    a.destroy()
    b.destroy()
    throw err
  }
  return [a, b]
}

/** Close both ends; simple-peer keeps a 5 s ICE timer otherwise (see rtc-link.ts). */
export function rawClose(peers: RawPeer[]): void {
  for (const p of peers) {
    const t = (p as unknown as { _iceCompleteTimer?: ReturnType<typeof setTimeout> })._iceCompleteTimer
    if (t) clearTimeout(t)
    p.destroy()
  }
}
