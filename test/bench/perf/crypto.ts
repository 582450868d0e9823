/**
 * Ed25519 sign and verify per second in Node, over 1 KiB messages (a typical
 * envelope), through peerweave's own wrappers: node:crypto (what the Node entry
 * uses), WebCrypto awaited one at a time (what one sender's path costs) and 64 at a
 * time (what the thread pool gives on this machine), and noble (the fallback).
 */
import { createEd25519, type Ed25519 } from '../../../src/crypto/ed25519.js'
import { createNodeEd25519 } from '../../../src/crypto/node-ed25519.js'
import { round } from './util.js'

export interface CryptoRates {
  signPerSec: number
  verifyPerSec: number
}

export interface CryptoFigures {
  messageBytes: number
  nodeCrypto: CryptoRates
  webcrypto: CryptoRates
  webcryptoConcurrent64: CryptoRates
  noble: CryptoRates
}

async function rate(ms: number, batch: number, op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  let n = 0
  while (performance.now() - t0 < ms) {
    if (batch === 1) await op()
    else await Promise.all(Array.from({ length: batch }, op))
    n += batch
  }
  return round((n * 1000) / (performance.now() - t0), 0)
}

async function rates(ed: Ed25519, ms: number, batch: number): Promise<CryptoRates> {
  const seed = globalThis.crypto.getRandomValues(new Uint8Array(32))
  const pub = ed.getPublicKey(seed)
  const message = globalThis.crypto.getRandomValues(new Uint8Array(1024))
  const sign = ed.signer(seed)
  const sig = await sign(message)
  if (!(await ed.verify(pub, message, sig))) throw new Error('self-check failed')
  return {
    signPerSec: await rate(ms, batch, () => sign(message)),
    verifyPerSec: await rate(ms, batch, () => ed.verify(pub, message, sig)),
  }
}

export async function cryptoRates(ms: number): Promise<CryptoFigures> {
  const web = createEd25519({ prefer: 'webcrypto' })
  if ((await web.backend()) !== 'webcrypto') throw new Error('no WebCrypto Ed25519 in this Node')
  const noble = createEd25519({ prefer: 'noble' })
  return {
    messageBytes: 1024,
    nodeCrypto: await rates(createNodeEd25519(), ms, 1),
    webcrypto: await rates(web, ms, 1),
    webcryptoConcurrent64: await rates(web, ms, 64),
    noble: await rates(noble, ms, 1),
  }
}
