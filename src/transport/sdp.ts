import { PeerweaveError } from '../core/errors.js'

/**
 * DTLS fingerprints out of SDP, and the WebRTC handshake binding built from them.
 *
 * Why fingerprints: the data channel runs over DTLS, and each side checks that the
 * certificate the other presents hashes to the `a=fingerprint:` in the SDP it was
 * given (RFC 8122, RFC 8827 §6.5). If both peers sign the pair of fingerprints they
 * actually applied, a tracker or relay that substitutes its own offer or answer ends
 * up with a DTLS session whose fingerprints differ from what the honest peer signed,
 * so the signatures cannot verify on both sides.
 */

const MAX_SDP_CHARS = 64 * 1024

/**
 * The normalised, sorted, de-duplicated fingerprints (`sha-256 AB:CD:...`) of an SDP.
 * Throws ERR_HANDSHAKE when there is none (no DTLS binding is possible).
 *
 * @example fingerprintsOf('v=0\r\na=fingerprint:sha-256 ab:cd\r\n') // ['sha-256 AB:CD']
 */
export function fingerprintsOf(sdp: string): string[] {
  if (typeof sdp !== 'string' || sdp.length > MAX_SDP_CHARS) {
    throw new PeerweaveError('ERR_HANDSHAKE', 'SDP missing or too long for a fingerprint binding')
  }
  const found = new Set<string>()
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=fingerprint:\s*(\S+)\s+([0-9A-Fa-f:]+)\s*$/.exec(line)
    if (m !== null) found.add(`${m[1]!.toLowerCase()} ${m[2]!.toUpperCase()}`)
  }
  if (found.size === 0) throw new PeerweaveError('ERR_HANDSHAKE', 'SDP has no a=fingerprint line')
  return [...found].sort()
}

/**
 * The WebRTC binding both sides sign: the offerer's fingerprints, then the answerer's.
 * Each side passes the SDPs its RTCPeerConnection actually applied (local and remote
 * description), so both compute the same bytes only when nobody swapped an SDP.
 */
export function rtcBinding(offerSdp: string, answerSdp: string): Uint8Array {
  const text = `webrtc\n${fingerprintsOf(offerSdp).join(',')}\n${fingerprintsOf(answerSdp).join(',')}`
  return new TextEncoder().encode(text)
}

/** The WebSocket binding both sides sign: 'websocket', the dialer's nonce, then the acceptor's. */
export function wsBinding(dialerNonce: Uint8Array, acceptorNonce: Uint8Array): Uint8Array {
  const label = new TextEncoder().encode('websocket\n')
  const out = new Uint8Array(label.length + dialerNonce.length + acceptorNonce.length)
  out.set(label)
  out.set(dialerNonce, label.length)
  out.set(acceptorNonce, label.length + dialerNonce.length)
  return out
}
