/**
 * Ed25519 sign and verify per second in Chromium (Debian's, headless), in an empty
 * page (served by request interception, no network): WebCrypto awaited one at a time and 64 at a time, and noble (bundled
 * for the page with esbuild), over 1 KiB messages. Skipped when there is no Chromium.
 */
import { existsSync } from 'node:fs'
import { build } from 'esbuild'
import type { CryptoRates } from './crypto.js'

const CHROMIUM = process.env.PEERWEAVE_CHROMIUM ?? '/usr/bin/chromium'
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface ChromiumCryptoFigures {
  version: string
  webcrypto: CryptoRates
  webcryptoConcurrent64: CryptoRates
  noble: CryptoRates
}

const PAGE_BENCH = `async (ms) => {
  const ed = globalThis.nobleEd
  const A = { name: 'Ed25519' }
  const message = crypto.getRandomValues(new Uint8Array(1024))
  const kp = await crypto.subtle.generateKey(A, false, ['sign', 'verify'])
  const sig = await crypto.subtle.sign(A, kp.privateKey, message)
  const rate = async (batch, op) => {
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < ms) {
      if (batch === 1) await op()
      else await Promise.all(Array.from({ length: batch }, op))
      n += batch
    }
    return Math.round((n * 1000) / (performance.now() - t0))
  }
  const web = async (batch) => ({
    signPerSec: await rate(batch, () => crypto.subtle.sign(A, kp.privateKey, message)),
    verifyPerSec: await rate(batch, () => crypto.subtle.verify(A, kp.publicKey, sig, message)),
  })
  const seed = crypto.getRandomValues(new Uint8Array(32))
  const pub = ed.getPublicKey(seed)
  const nsig = ed.sign(message, seed)
  return {
    webcrypto: await web(1),
    webcryptoConcurrent64: await web(64),
    noble: {
      signPerSec: await rate(1, () => ed.sign(message, seed)),
      verifyPerSec: await rate(1, () => ed.verify(nsig, message, pub)),
    },
  }
}`

export async function chromiumCrypto(ms: number): Promise<ChromiumCryptoFigures | undefined> {
  if (!existsSync(CHROMIUM)) return undefined
  const noble = await build({
    stdin: {
      contents: "import { ed25519 } from '@noble/curves/ed25519.js'; globalThis.nobleEd = ed25519",
      resolveDir: process.cwd(),
    },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
  })
  // Imported here, not at the top: playwright-core makes an AsyncLocalStorage when it loads, and
  // from then on every promise in the process pays for async context tracking (perf.ts runs this last).
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
  try {
    const page = await browser.newPage()
    // WebCrypto lives only in secure contexts: serve an empty https page from the test itself.
    await page.route('https://bench.invalid/', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html>' }),
    )
    await page.goto('https://bench.invalid/')
    await page.addScriptTag({ content: noble.outputFiles[0]!.text })
    // A string, not a function: tsx's transform would put helpers (__name) into it the page lacks.
    const figures = (await page.evaluate(`(${PAGE_BENCH})(${ms})`)) as Omit<ChromiumCryptoFigures, 'version'>
    return { version: browser.version(), ...figures }
  } finally {
    await browser.close()
  }
}
