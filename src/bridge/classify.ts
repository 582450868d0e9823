import { PeerweaveError } from '../core/errors.js'

/**
 * Turn why a bridge socket failed its handshake into the warning an operator wants
 * to see: garbage on the wire is ERR_MALFORMED, a forged or mismatched HELLO is
 * ERR_BAD_SIGNATURE, a socket that stalled is ERR_TIMEOUT; the transport's own
 * error is kept as the cause. Returns the kind used to throttle warnings too.
 */
export function classifyHandshakeFailure(
  err: unknown,
  ip: string,
  wsError: Error | undefined,
): { kind: string; error: PeerweaveError } {
  const from = `bridge: socket from ${ip}`
  if (wsError !== undefined) {
    // ws rejected the WebSocket framing itself (bad opcode, oversized frame, bad UTF-8 ...).
    return {
      kind: 'frames',
      error: new PeerweaveError('ERR_MALFORMED', `${from} sent bad WebSocket frames (${wsError.message}); closed`, {
        cause: wsError,
      }),
    }
  }
  if (!(err instanceof PeerweaveError)) {
    return {
      kind: 'handshake',
      error: new PeerweaveError('ERR_HANDSHAKE', `${from} failed the handshake; closed`, { cause: err }),
    }
  }
  const cause = err.cause
  if (err.code === 'ERR_MALFORMED' || err.code === 'ERR_MESSAGE_TOO_LARGE') {
    return {
      kind: 'frames',
      error: new PeerweaveError('ERR_MALFORMED', `${from} sent malformed frames (${err.message}); closed`, {
        cause: err,
      }),
    }
  }
  if (
    err.code === 'ERR_HANDSHAKE' &&
    cause instanceof PeerweaveError &&
    (cause.code === 'ERR_MALFORMED' || cause.code === 'ERR_MESSAGE_TOO_LARGE')
  ) {
    return {
      kind: 'frames',
      error: new PeerweaveError('ERR_MALFORMED', `${from} sent malformed frames (${cause.message}); closed`, {
        cause: err,
      }),
    }
  }
  // handshake.ts words every signature failure "bad signature ..." (wrong key, forged, wrong binding).
  if (err.code === 'ERR_HANDSHAKE' && /bad signature/i.test(err.message)) {
    return {
      kind: 'signature',
      error: new PeerweaveError('ERR_BAD_SIGNATURE', `${from}: ${err.message}; closed`, { cause: err }),
    }
  }
  if (err.code === 'ERR_TIMEOUT') {
    return {
      kind: 'timeout',
      error: new PeerweaveError('ERR_TIMEOUT', `${from} did not finish the handshake in time; closed`, { cause: err }),
    }
  }
  return { kind: err.code, error: new PeerweaveError(err.code, `${from}: ${err.message}`, { cause: err }) }
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are one source. */
export function normalizeIp(address: string | undefined): string {
  if (address === undefined) return 'unknown'
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}
