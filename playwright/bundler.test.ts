/**
 * The package as a bundler sees it: examples/bundler/main.js does `import { Swarm } from
 * 'peerweave'`; esbuild (plain settings, no polyfills or plugins) resolves that through
 * the exports map's `browser` condition to dist/peerweave.js, and the app works in
 * Chromium: two tabs link, broadcast, and answer a request. dist/peerweave.js also loads
 * directly as a `<script type=module>`-style import.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'
import type { Page } from 'playwright-core'
import { BrowserBed, eventually, pageEvents, peerState } from './harness.js'

const root = fileURLToPath(new URL('../', import.meta.url))
let bed: BrowserBed

before(async () => {
  bed = await BrowserBed.start()
})

after(async () => {
  if (bed?.pageErrors.length) console.log(`page errors:\n${bed.pageErrors.join('\n')}`)
  await bed?.close()
})

test('esbuild bundles examples/bundler from the package exports (browser condition -> dist/peerweave.js)', async () => {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['examples/bundler/main.js'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: 'examples/bundler/dist/app.js',
    metafile: true,
    logLevel: 'warning',
  })
  const inputs = Object.keys(result.metafile.inputs).sort()
  assert.deepEqual(inputs, ['dist/peerweave.js', 'examples/bundler/main.js'])
})

test('the bundled app works in Chromium: two tabs link, broadcast and answer a request', {
  timeout: 120_000,
}, async () => {
  const path = `/examples/bundler/?${new URLSearchParams({ tracker: bed.tracker.url, topic: 'pw-bundler' })}`
  const a = await bed.open(path)
  await new Promise((r) => setTimeout(r, 800))
  const b = await bed.open(path)
  await eventually(
    'the two tabs to link',
    60_000,
    async () => (await peerState(a)).peers.length === 1 && (await peerState(b)).peers.length === 1,
  )
  const bAddress = (await peerState(b)).address

  await a.click('#hello')
  const hello = await eventually('the hello broadcast', 20_000, async () =>
    (await pageEvents(b)).find((e) => e.type === 'message' && String(e.data).startsWith('hello from')),
  )
  assert.equal(hello.direct, false)

  const reply = await a.evaluate(
    (to) =>
      (
        window as unknown as { __pw: { swarm: { request(to: string, d: string, o: object): Promise<unknown> } } }
      ).__pw.swarm.request(to, 'ping?', { timeoutMs: 10_000 }),
    bAddress,
  )
  assert.equal(reply, 'pong')
  // A question it has no answer to: an error answer, ERR_REMOTE at the asker.
  const failed = await a.evaluate(
    (to) =>
      (
        window as unknown as { __pw: { swarm: { request(to: string, d: string, o: object): Promise<unknown> } } }
      ).__pw.swarm
        .request(to, 'why?', { timeoutMs: 10_000 })
        .then(
          () => 'answered',
          (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
        ),
    bAddress,
  )
  assert.match(failed, /^ERR_REMOTE: [0-9a-f]{40} answered with an error: no answer to "why\?"$/)
  assert.match((await b.locator('#status').textContent()) ?? '', /1 neighbour/)
  assert.deepEqual(bed.pageErrors, [])
})

test('dist/peerweave.js is a browser ES module with the public API', async () => {
  const page: Page = await bed.context.newPage()
  await page.goto(`${bed.server.url}/examples/bundler/`)
  const names = await page.evaluate(async () => {
    const mod = await import('/dist/peerweave.js' as string)
    return ['Swarm', 'Identity', 'PeerweaveError', 'topicIdentifier'].filter((n) => typeof mod[n] === 'function')
  })
  assert.deepEqual(names, ['Swarm', 'Identity', 'PeerweaveError', 'topicIdentifier'])
  await page.close()
})
