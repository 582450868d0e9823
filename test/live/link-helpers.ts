import { PeerweaveError } from '../../src/core/errors.js'
import type { Link } from '../../src/transport/link.js'
import './native-exit.js'

/** Resolve with the next `n` messages a link delivers. */
export function nextMessages(link: Link, n: number): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const got: Uint8Array[] = []
    const on = (m: Uint8Array) => {
      got.push(m)
      if (got.length === n) {
        link.off('message', on)
        resolve(got)
      }
    }
    link.on('message', on)
  })
}

/** Resolve when the link closes, with the error it closed with, if any. */
export const closed = (link: Link) => new Promise<Error | undefined>((resolve) => link.on('close', resolve))

/** A predicate for assert.rejects: a PeerweaveError with this code. */
export const isCode = (code: string) => (e: unknown) => e instanceof PeerweaveError && e.code === code
