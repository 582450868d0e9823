import { equalBytes, toHex } from '../core/bytes.js'
import { PeerweaveError } from '../core/errors.js'
import type { Address, CryptoSuite, JsonValue, LinkAuth, LinkKeyOffer, Signer } from '../core/types.js'
import type { FramedLink } from './framed-link.js'
import {
  decodeHello,
  decodeNonce,
  decodeProof,
  encodeHello,
  encodeHelloBody,
  encodeNonce,
  encodeProof,
  HELLO_VERSION,
  helloSignedBytes,
  NONCE_BYTES,
  SIGNATURE_BYTES,
} from './hello.js'
import type { RemotePeer } from './link.js'
import { sameBytes } from '../crypto/same-bytes.js'
import { wsBinding } from './sdp.js'

/**
 * The identity handshake, run over a fresh {@link FramedLink} before it is handed to
 * the swarm. Each side sends one HELLO (see hello.ts) signed over a binding of this
 * very link; WebSocket links first swap fresh nonces to make that binding.
 *
 * The receiver checks, in order: the HELLO parses, the version is ours, the key is
 * not our own (a loop back to ourselves), the signature verifies over the binding
 * with the sender's role, and, when we dialled a known address, that
 * addressOf(publicKey) is that address. Any failure closes the link with
 * ERR_HANDSHAKE; no answer within `timeoutMs` closes it with ERR_TIMEOUT.
 * With `membership` (a private swarm) a PROOF goes each way first, and our HELLO
 * only to a peer whose PROOF checked out.
 */

/** Default time for a handshake to finish (and, for WebRTC, for the connection to open). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000

/** Who we are and what we expect, for one handshake. */
export interface HandshakeOptions {
  identity: Signer
  crypto: CryptoSuite
  metadata: JsonValue | undefined
  bridgeUrl: string | undefined
  /** When we dialled a known peer: reject anyone else. */
  expectedAddress: Address | undefined
  /** Private swarms: the membership proof both sides must show before their HELLO. */
  membership?: Membership | undefined
}

/** A private swarm's membership proofs (src/crypto/swarm-key.ts makes one from the swarm secret). */
export interface Membership {
  /** The proof the side with `role` (0 dialled, 1 accepted) sends for a link with this binding. */
  proof(role: 0 | 1, binding: Uint8Array): Uint8Array
}

/**
 * How the link is bound: a fixed binding (WebRTC: both fingerprints, computed once
 * the channel is open) or the nonce exchange (WebSocket).
 */
export type Binding = { kind: 'fixed'; bytes: Uint8Array } | { kind: 'nonces'; randomBytes: (n: number) => Uint8Array }

/**
 * A WebRTC link's first-hop authenticator: none needed. Every byte on the data channel
 * is DTLS-protected, and both HELLO signatures cover both DTLS fingerprints (the
 * binding), so what arrives on the channel comes from the identity that signed the
 * other HELLO, unaltered. A MAC on top would only cost hashes on both ends (most of a
 * 16 KiB stream's crypto). Plain ws:// bridge links have no such layer: they keep MACs.
 */
const DTLS_AUTH: LinkAuth = { secure: true, tag: () => new Uint8Array(64), check: () => true }

/**
 * Run the handshake on `link` (which must be open). Resolves with the proven
 * remote peer and sets `link.remote`; on failure the link is already closed with
 * the error the promise rejects with.
 */
export function runHandshake(link: FramedLink, binding: Binding, options: HandshakeOptions): Promise<RemotePeer> {
  const myRole: 0 | 1 = link.direction === 'out' ? 0 : 1
  const theirRole: 0 | 1 = myRole === 0 ? 1 : 0
  return new Promise<RemotePeer>((resolve, reject) => {
    let settled = false
    // If the link dies while we wait (remote close, ICE failure, timeout), say so.
    const onClose = (error?: Error) => {
      if (settled) return
      settled = true
      reject(setupFailure(error))
    }
    link.on('close', onClose)
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      // Leave no listener behind: the link's first real 'close' listener must get the event.
      link.off('close', onClose)
      return true
    }
    const fail = (err: PeerweaveError) => {
      if (!settle()) return
      link.fail(err)
      reject(err)
    }
    const failHandshake = (message: string, cause?: unknown) =>
      fail(
        new PeerweaveError(
          'ERR_HANDSHAKE',
          `handshake failed: ${message}`,
          cause === undefined ? undefined : { cause },
        ),
      )

    let bindingBytes: Uint8Array | undefined
    let myNonce: Uint8Array | undefined
    // Our half of the link keys: a platform that cannot make one just offers none.
    let offer: LinkKeyOffer | undefined

    const sendHello = async (bytes: Uint8Array) => {
      // A DTLS-bound link needs no keys of its own (DTLS_AUTH).
      if (binding.kind !== 'fixed') offer = await options.crypto.linkKeys?.().catch(() => undefined)
      const body = encodeHelloBody({
        publicKey: options.identity.publicKey,
        metadata: options.metadata,
        bridgeUrl: options.bridgeUrl,
        linkKey: offer?.publicKey,
      })
      const signature = await options.identity.sign(helloSignedBytes(myRole, bytes, body))
      if (!link.closed) link.send(encodeHello(body, signature))
    }

    // Resolves once our HELLO is on its way; we only succeed after that, even when the
    // peer's HELLO verifies first (otherwise the peer would wait for ours forever).
    let helloSent: Promise<boolean> = Promise.resolve(false)

    const onHello = async (message: Uint8Array) => {
      // From here on messages are the application's: hold them for its listener.
      link.setHandshakeHandler(undefined)
      let hello: ReturnType<typeof decodeHello>
      try {
        hello = decodeHello(message)
      } catch (err) {
        failHandshake('malformed HELLO', err)
        return
      }
      if (hello.version !== HELLO_VERSION) return failHandshake(`unsupported version ${hello.version}`)
      if (equalBytes(hello.publicKey, options.identity.publicKey)) return failHandshake('the remote peer is ourselves')
      if (hello.signature.length !== SIGNATURE_BYTES) return failHandshake('bad signature length')
      let ok: boolean
      try {
        ok = await options.crypto.verify(
          hello.publicKey,
          helloSignedBytes(theirRole, bindingBytes!, hello.bodyBytes),
          hello.signature,
        )
      } catch (err) {
        failHandshake('signature check threw', err)
        return
      }
      if (!ok) return failHandshake('bad signature (wrong key, or the link binding differs: swapped SDP or relay)')
      const address = toHex(options.crypto.addressOf(hello.publicKey))
      if (options.expectedAddress !== undefined && address !== options.expectedAddress.toLowerCase()) {
        return failHandshake(`expected ${options.expectedAddress}, got ${address}`)
      }
      if (!(await helloSent)) return
      // WebRTC: DTLS authenticates the channel. Otherwise, both offered a key: the link's
      // first-hop messages carry MACs. Only one did: signatures.
      let auth: LinkAuth | undefined = binding.kind === 'fixed' ? DTLS_AUTH : undefined
      if (offer && hello.linkKey) {
        try {
          auth = await offer.agree(hello.linkKey, bindingBytes!, myRole)
        } catch (err) {
          return failHandshake('bad link key', err)
        }
      }
      if (!settle()) return
      const remote: RemotePeer = {
        address,
        publicKey: hello.publicKey,
        metadata: hello.metadata,
        bridgeUrl: hello.bridgeUrl,
        auth,
      }
      link.remote = remote
      resolve(remote)
    }

    // `bindingBytes` must be set before the HELLO handler is installed: installing it
    // replays a HELLO that arrived early, synchronously.
    const start = (bytes: Uint8Array) => {
      helloSent = sendHello(bytes).then(
        () => true,
        (err: unknown) => {
          failHandshake('could not sign or send our HELLO', err)
          return false
        },
      )
    }

    // The binding is known: prove membership first (private swarms), then say HELLO.
    const begin = (bytes: Uint8Array) => {
      bindingBytes = bytes
      const membership = options.membership
      if (membership === undefined) {
        start(bytes)
        link.setHandshakeHandler((message) => void onHello(message))
        return
      }
      try {
        link.send(encodeProof(membership.proof(myRole, bytes)))
      } catch (err) {
        failHandshake('could not send our membership proof', err)
        return
      }
      link.setHandshakeHandler((message) => {
        let theirs: Uint8Array
        try {
          theirs = decodeProof(message)
        } catch {
          // No cause on purpose: this is a refusal (a peer outside the swarm), not garbage.
          return failHandshake('the peer is not a member of this private swarm (no membership proof)')
        }
        if (!sameBytes(theirs, membership.proof(theirRole, bytes)))
          return failHandshake('the peer is not a member of this private swarm (bad membership proof)')
        start(bytes)
        link.setHandshakeHandler((next) => void onHello(next))
      })
    }

    if (binding.kind === 'fixed') {
      begin(binding.bytes)
      return
    }
    // Nonce exchange: both send at once, then each HELLO signs dialer's || acceptor's nonce.
    myNonce = binding.randomBytes(NONCE_BYTES)
    link.setHandshakeHandler((message) => {
      let theirNonce: Uint8Array
      try {
        theirNonce = decodeNonce(message)
      } catch (err) {
        failHandshake(`expected a NONCE (${message.length} bytes, tag ${message[0]})`, err)
        return
      }
      begin(myRole === 0 ? wsBinding(myNonce!, theirNonce) : wsBinding(theirNonce, myNonce!))
    })
    try {
      link.send(encodeNonce(myNonce))
    } catch (err) {
      failHandshake('could not send our NONCE', err)
    }
  })
}

/**
 * The error link setup rejects with when the link closed before the handshake
 * finished: network and timeout errors as they are, anything the peer sent wrong
 * (malformed frames, a clean close mid-handshake) as ERR_HANDSHAKE with the cause.
 */
export function setupFailure(error: Error | undefined): PeerweaveError {
  if (error instanceof PeerweaveError && error.code !== 'ERR_MALFORMED' && error.code !== 'ERR_MESSAGE_TOO_LARGE') {
    return error
  }
  return new PeerweaveError('ERR_HANDSHAKE', 'link closed during the handshake', { cause: error })
}

/**
 * `promise`, or ERR_TIMEOUT after `timeoutMs` (closing `link` with that error).
 * The timer is always cleared, so nothing keeps the process alive afterwards.
 */
export function withHandshakeTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: (err: PeerweaveError) => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new PeerweaveError('ERR_TIMEOUT', `handshake did not finish within ${timeoutMs} ms`)
      onTimeout(err)
      reject(err)
    }, timeoutMs)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
