/**
 * Browser and bundler entry. Nothing happens at import time: no ids, sockets,
 * timers or logs until a Swarm is constructed.
 *
 * The only platform choice made here (never inside the logic, STYLE.md habit 1):
 * `rtc` defaults to the page's own WebRTC globals. WebSocket needs no default,
 * browsers have one built in and the swarm falls back to `globalThis.WebSocket`.
 */
import { invalidArg } from './core/errors.js'
import { Swarm as BaseSwarm } from './swarm.js'
import type { SwarmOptions } from './swarm/options.js'
import type { RtcImplementation } from './transport/rtc-link.js'

export { PeerweaveError } from './core/errors.js'
export type { ErrorCode } from './core/errors.js'
export type { Address, JsonValue } from './core/types.js'
export { DEFAULT_LINK_LIMITS } from './core/link-guard.js'
export type { LinkLimits } from './core/link-guard.js'
export type { AllowOption } from './swarm/allow.js'
export { Identity } from './crypto/identity.js'
export type { DisconnectReason, Member, Message, PeerInfo, Reply, SwarmEvents, SwarmEventArgs, SwarmOptions, SwarmPeerStats, Data } from './swarm.js'
export type { TypedEmitter } from './emitter.js'
export type { PeerStore, StoredPeer } from './store/types.js'
export { topicIdentifier } from './swarm/topic.js'
export type { IceServer, RtcImplementation } from './transport/rtc-link.js'

/**
 * A topic swarm (see the base class in `swarm.ts` for the API). In a browser the
 * `rtc` option defaults to `{ RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }`
 * from `globalThis`; elsewhere pass one (the Node entry injects @roamhq/wrtc).
 *
 * @example
 * const swarm = new Swarm('my topic', { trackers: ['wss://tracker.example'] })
 * swarm.on('message', (msg) => console.log(msg.from, msg.data))
 * await swarm.waitForPeers(1)
 * await swarm.send('hello everyone')
 */
export class Swarm extends BaseSwarm {
  constructor(topic: string, options: SwarmOptions = {}) {
    super(topic, withGlobalRtc(options))
  }
}

/** `options` with `rtc` filled from the globals when absent and the platform has them. */
function withGlobalRtc(options: SwarmOptions): SwarmOptions {
  // A non-object is left for the base class to reject with ERR_INVALID_ARG.
  if (options === null || typeof options !== 'object') return options
  if (options.listen !== undefined)
    throw invalidArg('listen', 'left out in a browser (only Node peers listen; use bootstrap)', options.listen)
  if (options.rtc !== undefined) return options
  const rtc = globalRtc()
  return rtc ? { ...options, rtc } : options
}

/** The page's WebRTC constructors, or undefined where there are none (Node, workers without WebRTC). */
function globalRtc(): RtcImplementation | undefined {
  const g = globalThis as { RTCPeerConnection?: unknown; RTCSessionDescription?: unknown; RTCIceCandidate?: unknown }
  if (typeof g.RTCPeerConnection !== 'function') return undefined
  return {
    RTCPeerConnection: g.RTCPeerConnection,
    RTCSessionDescription: g.RTCSessionDescription,
    RTCIceCandidate: g.RTCIceCandidate,
  }
}
