import SimplePeer from 'simple-peer'
import { PeerweaveError } from '../core/errors.js'
import type { Address } from '../core/types.js'
import type { Carrier } from './framed-link.js'
import { FramedLink } from './framed-link.js'
import { runHandshake, setupFailure, withHandshakeTimeout } from './handshake.js'
import type { Link, RemotePeer } from './link.js'
import type { LinkOptions, ResolvedLinkOptions } from './options.js'
import { resolveLinkOptions } from './options.js'
import { rtcBinding } from './sdp.js'

/**
 * WebRTC links: one simple-peer data channel per link, over an injected RTC
 * implementation (the browser's globals, @roamhq/wrtc or node-datachannel's
 * polyfill in Node), with `trickle: false` so one offer and one answer (each a
 * complete SDP string) are all the signalling a tracker or the mesh must carry.
 *
 * Browsers allow about 500 RTCPeerConnections per tab over its whole life, so every
 * failure, cancel and timeout path ends in `peer.destroy()` (through the link's
 * carrier), and nothing here retries on its own.
 */

/** The WebRTC implementation to use (simple-peer's `wrtc` option). */
export interface RtcImplementation {
  RTCPeerConnection: unknown
  RTCSessionDescription: unknown
  RTCIceCandidate: unknown
}

/**
 * A STUN or TURN server, as RTCPeerConnection takes it (the DOM's RTCIceServer, declared
 * here so the package's types compile in Node projects without the DOM library).
 */
export interface IceServer {
  urls: string | string[]
  username?: string
  credential?: string
}

/** Options of {@link createRtcDialer}. */
export interface RtcDialerOptions extends LinkOptions {
  /** Injected WebRTC implementation: `{ RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }`. */
  rtc: RtcImplementation
  /** STUN/TURN servers (tests and loopback use `[]`). */
  iceServers?: IceServer[]
}

/** An outgoing link in progress: send `offer` to the peer, pass its answer to `accept`. */
export interface RtcDial {
  /** Our offer SDP (complete, no trickle). Rejects when setup fails before it exists. */
  offer: Promise<string>
  /** Apply the peer's answer SDP; starts the connect + handshake timeout. Call once. */
  accept(answerSdp: string): void
  /** The authenticated link. Rejects with ERR_HANDSHAKE, ERR_TIMEOUT, ERR_LINK or ERR_CLOSED. */
  link: Promise<Link>
  /** Abandon setup and free the RTCPeerConnection (`link` rejects with ERR_CLOSED). No-op once `link` resolved. */
  cancel(): void
}

/** An incoming link in progress: send `answer` back to the peer that offered. */
export interface RtcAnswer {
  answer: Promise<string>
  link: Promise<Link>
  cancel(): void
}

/** Makes WebRTC links as one identity. */
export interface RtcDialer {
  /** Start an outgoing link; reject the peer unless it proves `expectedAddress`, when given. */
  dial(expectedAddress?: Address): RtcDial
  /** Answer an offer SDP; reject the peer unless it proves `expectedAddress`, when given. */
  answer(offerSdp: string, expectedAddress?: Address): RtcAnswer
}

const MAX_SDP_CHARS = 64 * 1024

/** What simple-peer keeps internally that we need: the applied descriptions and the channel. */
interface PeerInternals {
  _pc?: { localDescription?: { sdp: string } | null; remoteDescription?: { sdp: string } | null } | null
  _iceCompleteTimer?: ReturnType<typeof setTimeout> | null
  _channel?: {
    bufferedAmountLowThreshold?: number
    addEventListener?: (type: string, listener: () => void) => void
  } | null
}

/**
 * A factory for WebRTC links.
 *
 * @throws PeerweaveError ERR_INVALID_ARG on bad options.
 * @example
 * const dialer = createRtcDialer({ rtc: wrtc, iceServers: [], identity, crypto })
 * const out = dialer.dial()
 * const answer = await sendOfferSomehow(await out.offer)
 * out.accept(answer)
 * const link = await out.link
 */
export function createRtcDialer(options: RtcDialerOptions): RtcDialer {
  const resolved = resolveLinkOptions(options)
  const { rtc } = options
  if (rtc === null || typeof rtc !== 'object' || typeof rtc.RTCPeerConnection !== 'function') {
    throw new PeerweaveError('ERR_INVALID_ARG', 'options.rtc must provide RTCPeerConnection (and its companions)')
  }
  const iceServers = options.iceServers ?? []
  if (!Array.isArray(iceServers)) throw new PeerweaveError('ERR_INVALID_ARG', 'options.iceServers must be an array')

  return {
    dial(expectedAddress) {
      const s = setup(true, rtc, iceServers, resolved, expectedAddress)
      let accepted = false
      return {
        offer: s.sdp,
        link: s.link,
        cancel: s.cancel,
        accept(answerSdp) {
          if (accepted) throw new PeerweaveError('ERR_INVALID_ARG', 'accept() was already called for this dial')
          accepted = true
          s.applyRemote('answer', answerSdp)
        },
      }
    },
    answer(offerSdp, expectedAddress) {
      const s = setup(false, rtc, iceServers, resolved, expectedAddress)
      s.applyRemote('offer', offerSdp)
      return { answer: s.sdp, link: s.link, cancel: s.cancel }
    },
  }
}

function setup(
  initiator: boolean,
  rtc: RtcImplementation,
  iceServers: IceServer[],
  options: ResolvedLinkOptions,
  expectedAddress: Address | undefined,
) {
  const peer = new SimplePeer({
    initiator,
    trickle: false,
    // simple-peer's types want the DOM constructors; any implementation of them will do.
    wrtc: rtc as SimplePeer.Options['wrtc'],
    config: { iceServers },
  })
  const internals = peer as unknown as PeerInternals
  const carrier: Carrier = {
    send: (frame) => peer.send(frame),
    bufferedAmount: () => peer.bufferSize,
    close: () => peer.destroy(),
    // A safety net behind the 'bufferedamountlow' event; lowered below when there is none.
    pollIntervalMs: 100,
    // RTCDataChannel.send copies what it is given before it returns (browsers, @roamhq/wrtc
    // and node-datachannel's polyfill alike), and simple-peer hands frames straight to it.
    copiesFrames: true,
  }
  const link = new FramedLink(carrier, {
    kind: 'webrtc',
    direction: initiator ? 'out' : 'in',
    maxMessageBytes: options.maxMessageBytes,
    highWaterMarkBytes: options.highWaterMarkBytes,
    maxBufferedBytes: options.maxBufferedBytes,
  })

  // simple-peer 9 never clears its 5 s ICE-gathering cap (not even on destroy), which
  // keeps Node alive 5 s after the last link; once the SDP is out, the cap is moot.
  const stopIceTimer = () => {
    if (internals._iceCompleteTimer) clearTimeout(internals._iceCompleteTimer)
  }
  // simple-peer emits 'error' (ICE failure, bad SDP ...) just before 'close'.
  let lastError: unknown
  peer.on('error', (err: unknown) => {
    lastError = err
  })
  peer.on('close', () => {
    stopIceTimer()
    link.carrierClosed(
      lastError === undefined
        ? undefined
        : new PeerweaveError('ERR_LINK', `webrtc link failed: ${messageOf(lastError)}`, { cause: lastError }),
    )
  })
  peer.on('data', (data: unknown) => link.carrierFrame(data))

  let onEarlyClose: ((error?: Error) => void) | undefined
  const closedEarly = new Promise<never>((_, reject) => {
    onEarlyClose = (error) => reject(setupFailure(error))
    link.on('close', onEarlyClose)
  })
  const sdp = Promise.race([
    new Promise<string>((resolve) => {
      peer.on('signal', (data: SimplePeer.SignalData) => {
        if ((data.type === 'offer' || data.type === 'answer') && typeof data.sdp === 'string') {
          stopIceTimer()
          resolve(data.sdp)
        }
      })
    }),
    closedEarly,
  ])

  const authenticated = new Promise<RemotePeer>((resolve, reject) => {
    peer.on('connect', () => {
      const channel = internals._channel
      // Refill our queue as soon as the channel drains below the mark. @roamhq/wrtc has
      // no bufferedAmountLowThreshold (measured), so there the link polls often instead.
      if (channel && typeof channel.bufferedAmountLowThreshold === 'number' && channel.addEventListener) {
        channel.bufferedAmountLowThreshold = options.highWaterMarkBytes
        channel.addEventListener('bufferedamountlow', () => link.carrierLow())
      } else {
        carrier.pollIntervalMs = 10
      }
      let binding: Uint8Array
      try {
        // The descriptions this connection really applied, not what a signalling path claims.
        const local = internals._pc?.localDescription?.sdp ?? ''
        const remote = internals._pc?.remoteDescription?.sdp ?? ''
        binding = initiator ? rtcBinding(local, remote) : rtcBinding(remote, local)
      } catch (err) {
        const error =
          err instanceof PeerweaveError ? err : new PeerweaveError('ERR_HANDSHAKE', 'no DTLS binding', { cause: err })
        link.fail(error)
        reject(error)
        return
      }
      runHandshake(
        link,
        { kind: 'fixed', bytes: binding },
        {
          identity: options.identity,
          crypto: options.crypto,
          metadata: options.metadata,
          bridgeUrl: options.bridgeUrl,
          expectedAddress,
          membership: options.membership,
        },
      ).then(resolve, reject)
    })
  })

  let settled = false
  let arm: (() => void) | undefined
  const linkPromise = new Promise<Link>((resolve, reject) => {
    closedEarly.catch(reject)
    // The timer covers ICE, DTLS and the handshake; it starts once both SDPs are known.
    arm = () =>
      withHandshakeTimeout(Promise.race([authenticated, closedEarly]), options.handshakeTimeoutMs, (err) =>
        link.fail(err),
      ).then(() => {
        settled = true
        resolve(link)
      }, reject)
  }).finally(() => {
    settled = true
    link.off('close', onEarlyClose!)
  })
  // Callers that cancel rarely await what they cancelled: keep those rejections from
  // crashing Node as unhandled. Whoever awaits `sdp` or `link` still gets the error.
  sdp.catch(ignore)
  linkPromise.catch(ignore)

  return {
    sdp,
    link: linkPromise,
    cancel: () => {
      if (!settled) link.fail(new PeerweaveError('ERR_CLOSED', 'webrtc link setup cancelled'))
    },
    applyRemote(type: 'offer' | 'answer', remoteSdp: string) {
      if (typeof remoteSdp !== 'string' || remoteSdp.length === 0 || remoteSdp.length > MAX_SDP_CHARS) {
        link.fail(new PeerweaveError('ERR_MALFORMED', `${type} SDP must be a non-empty string of at most 64 KiB`))
        return
      }
      arm!()
      try {
        peer.signal({ type, sdp: remoteSdp })
      } catch (err) {
        link.fail(new PeerweaveError('ERR_LINK', `could not apply the ${type}`, { cause: err }))
      }
    },
  }
}

function ignore(_err: unknown): void {
  // Deliberately empty, see the call sites: the same error reaches whoever awaits.
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return (err as Error & { code?: string }).code ?? err.message
  return String(err)
}
