/**
 * The two Node WebRTC implementations the benchmark compares, both behind the
 * `{ RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }` shape that
 * simple-peer and `Swarm({ rtc })` take. node-datachannel comes through
 * webrtc-polyfill (what bittorrent-tracker uses): node-datachannel's own polyfill
 * has a read-only `sdp`, which simple-peer 9 writes to (ERR_CREATE_OFFER).
 */
import wrtc from '@roamhq/wrtc'
import * as ndc from 'webrtc-polyfill'
import type { RtcImplementation } from '../../../src/transport/rtc-link.js'

export type RtcName = 'wrtc' | 'ndc'

const NdcPeerConnection = ndc.RTCPeerConnection as unknown as new (
  config?: object,
) => EventTarget & { iceGatheringState: string }

/**
 * node-datachannel for loopback. It gathers on every interface unless told
 * otherwise, and in the loopback-only namespace only 127.0.0.1 works (DESIGN.md),
 * so bind there. And webrtc-polyfill never fires the end-of-candidates event
 * (`icecandidate` with a null candidate) when gathering completes, so simple-peer
 * with `trickle: false` waits out its 5 s iceCompleteTimeout on each side (measured:
 * every connect took 10 s): fire it when the gathering state says complete.
 */
class LoopbackPeerConnection extends NdcPeerConnection {
  constructor(config: object = {}) {
    super({ ...config, bindAddress: '127.0.0.1' })
    this.addEventListener('icegatheringstatechange', () => {
      if (this.iceGatheringState === 'complete') this.dispatchEvent(new ndc.RTCPeerConnectionIceEvent(null as never))
    })
  }
}

export const RTC: Record<RtcName, RtcImplementation> = {
  wrtc: wrtc as unknown as RtcImplementation,
  ndc: {
    RTCPeerConnection: LoopbackPeerConnection,
    RTCSessionDescription: ndc.RTCSessionDescription,
    RTCIceCandidate: ndc.RTCIceCandidate,
  },
}

export function rtcName(rtc: RtcImplementation): RtcName {
  return rtc === RTC.ndc ? 'ndc' : 'wrtc'
}
