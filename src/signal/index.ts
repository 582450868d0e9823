/**
 * The signalling layer: a WebTorrent websocket-tracker client that carries WebRTC offers
 * and answers for one swarm. See {@link TrackerClient}.
 */

export type { Timers, WebSocketConstructor, WebSocketLike } from './platform.js'
export type {
  OfferInput,
  SignalFromTracker,
  TrackerClientEvents,
  TrackerClientOptions,
  TrackerUpdate,
} from './tracker-client.js'
export { createOfferId, MAX_PENDING_OFFERS, TrackerClient } from './tracker-client.js'
