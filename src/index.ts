/**
 * Browser and bundler entry. Nothing happens at import time: no ids, sockets,
 * timers or logs until a Swarm is constructed.
 */
export { PeerweaveError } from './core/errors.js'
export type { ErrorCode } from './core/errors.js'
export type { Address, JsonValue } from './core/types.js'
export { Identity } from './crypto/identity.js'
export { Swarm } from './swarm.js'
export type { Message, PeerInfo, SwarmEvents, SwarmOptions, Data } from './swarm.js'
export { topicIdentifier } from './swarm/topic.js'
