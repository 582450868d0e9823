/** Platform crypto for peerweave: identities, ed25519 sign/verify, addresses, signature domains. */

export { ADDRESS_DOMAIN, addressOf, addressStringOf } from './address.js'
export { DOMAIN_HELLO, DOMAIN_MSG, DOMAIN_SIGNAL, withDomain } from './domains.js'
export {
  createEd25519,
  hasWebCryptoEd25519,
  PUBLIC_KEY_BYTES,
  SECRET_KEY_BYTES,
  SIGNATURE_BYTES,
} from './ed25519.js'
export type { Ed25519, Ed25519Backend, Ed25519Options, SignFn } from './ed25519.js'
export { Identity } from './identity.js'
export type { IdentityOptions } from './identity.js'
export { createCryptoSuite } from './suite.js'
export type { AsyncCryptoSuite, CryptoSuiteOptions } from './suite.js'
export { createUnsignedSigner, insecureCryptoSuite, nullCryptoSuite } from './unsigned.js'
export { createBodySeal, DOMAIN_SEAL, SEAL_OVERHEAD_BYTES } from './seal.js'
export type { BodySealOptions, SealBackend } from './seal.js'
export { createMembership, DOMAIN_MEMBER, deriveSwarmKeys, PROOF_BYTES } from './swarm-key.js'
export type { Membership, SwarmKeys } from './swarm-key.js'
