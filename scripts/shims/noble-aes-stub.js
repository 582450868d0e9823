// Browser builds only: @noble/ciphers' AES-GCM is the private-swarm fallback for
// pages without WebCrypto (plain http:// pages). Every secure context (https://,
// localhost) has WebCrypto AES-GCM, so the CDN bundle leaves the ~8.6 KiB fallback
// out to stay within its 60 KiB gzip budget, and says so plainly if it is needed.
import { PeerweaveError } from '../../src/core/errors.ts'

export function gcm() {
  throw new PeerweaveError(
    'ERR_INVALID_ARG',
    'secret: private swarms need WebCrypto AES-GCM in this build (serve the page over https:// or from localhost)',
  )
}
