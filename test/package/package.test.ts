/**
 * The built package (run `npm run build` first): the browser bundle's size budget, that
 * the browser bundles are self-contained and Node-free, that the Node entry and the
 * command load from dist/, and the exports map as publint and attw see it.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const dist = (file: string) => `${root}dist/${file}`

/** dist/peerweave.min.js, gzipped, must stay within this (issue #4). */
const BUDGET_GZIP_BYTES = 60 * 1024

if (!existsSync(dist('peerweave.min.js')))
  throw new Error('dist/ is missing: run `npm run build` before `npm run test:package`')

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`

test(`dist/peerweave.min.js is at most ${kib(BUDGET_GZIP_BYTES)} gzipped`, () => {
  for (const file of ['peerweave.js', 'peerweave.min.js', 'node.js', 'cli.js']) {
    const bytes = readFileSync(dist(file))
    console.log(
      `${`dist/${file}`.padEnd(22)} ${kib(bytes.length).padStart(10)}   gzip ${kib(gzipSync(bytes, { level: 9 }).length).padStart(9)}`,
    )
  }
  const gz = gzipSync(readFileSync(dist('peerweave.min.js')), { level: 9 }).length
  assert.ok(
    gz <= BUDGET_GZIP_BYTES,
    `dist/peerweave.min.js is ${kib(gz)} gzipped, over the ${kib(BUDGET_GZIP_BYTES)} budget (see what grew: node scripts/build.mjs --analyze)`,
  )
})

test('the browser bundles are self-contained: no imports, no require, no Node built-ins', () => {
  for (const file of ['peerweave.js', 'peerweave.min.js']) {
    const code = readFileSync(dist(file), 'utf8')
    assert.doesNotMatch(code, /\bimport\s*(?:[\w*{][^;]*?\bfrom\s*)?["'][^"']+["']/, `${file} imports a module`)
    assert.doesNotMatch(code, /["']node:[a-z_/]+["']/, `${file} names a node: module`)
    assert.doesNotMatch(
      code,
      /\brequire\(["'](?:ws|fs|net|tls|dgram|@roamhq\/wrtc|node-datachannel)["']\)/,
      `${file} requires Node code`,
    )
  }
  assert.match(
    readFileSync(dist('peerweave.min.js'), 'utf8'),
    /^(?:\/\*[\s\S]*?\*\/\s*)?(?:"use strict";)?\(\(\)=>\{/,
    'the CDN file is one IIFE',
  )
})

test('the browser bundles name their license file, and it holds the bundled packages\' notices', () => {
  for (const file of ['peerweave.js', 'peerweave.min.js']) {
    const code = readFileSync(dist(file), 'utf8')
    assert.match(code, new RegExp(`license information please see ${file.replace('.', '\\.')}\\.LEGAL\\.txt`), file)
    const legal = readFileSync(dist(`${file}.LEGAL.txt`), 'utf8')
    for (const notice of ['simple-peer. MIT License. Feross Aboukhadijeh', 'noble-curves - MIT License (c) 2022 Paul Miller'])
      assert.ok(legal.includes(notice), `${file}.LEGAL.txt lacks "${notice}"`)
  }
})

test('dist/node.js loads in Node and exports the public API', async () => {
  const mod = await import(dist('node.js'))
  for (const name of ['Swarm', 'Identity', 'PeerweaveError', 'topicIdentifier'])
    assert.equal(typeof mod[name], 'function', name)
  const src = await import('../../src/index.js')
  assert.equal(mod.topicIdentifier('peerweave-test'), src.topicIdentifier('peerweave-test'))
  assert.throws(
    () => new mod.Swarm(''),
    (err: { code?: string }) => err.code === 'ERR_INVALID_ARG',
  )
})

test('dist/cli.js runs as the peerweave command', async () => {
  assert.match(readFileSync(dist('cli.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/)
  const { stdout } = await run(process.execPath, [dist('cli.js'), 'help'])
  assert.match(stdout, /peerweave join <topic>/)
})

test('publint --strict finds nothing in the package', { timeout: 120_000 }, async () => {
  const { stdout } = await run('npx', ['--no-install', 'publint', '--strict'], { cwd: root })
  assert.match(stdout, /All good!/, stdout)
})

test('attw --pack: every export resolves to types for Node (ESM) and bundlers', { timeout: 180_000 }, async () => {
  // ESM-only package: CommonJS require() is not offered, so node10/node16-cjs are not checked.
  const out = await run('npx', ['--no-install', 'attw', '--pack', '.', '--profile', 'esm-only', '--format', 'ascii'], {
    cwd: root,
  }).catch((err: { stdout?: string; stderr?: string }) => {
    assert.fail(`attw found problems:\n${err.stdout ?? ''}${err.stderr ?? ''}`)
  })
  assert.doesNotMatch(out.stdout, /❌|💀|🥴|❗️|🐛|🎭/u, out.stdout)
})

test('a private swarm in a browser bundle without WebCrypto refuses to start (ERR_INVALID_ARG)', async () => {
  // The browser bundles leave out the AES-GCM fallback (scripts/shims/noble-aes-stub.js). Before,
  // such a swarm joined, then counted every member's message as undecryptable and banned them.
  const real = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!
  const { webcrypto } = await import('node:crypto')
  Object.defineProperty(globalThis, 'crypto', {
    value: { getRandomValues: (a: Uint8Array<ArrayBuffer>) => webcrypto.getRandomValues(a) },
    configurable: true,
  })
  try {
    const { Swarm } = (await import(`${dist('peerweave.js')}?no-webcrypto`)) as typeof import('../../src/index.js')
    assert.throws(
      () => new Swarm('private', { trackers: [], secret: 'shared secret' }),
      (err: { code?: string; message?: string }) =>
        err.code === 'ERR_INVALID_ARG' && /private swarms need WebCrypto/.test(err.message ?? ''),
    )
    // Without a secret the same bundle starts (only sealing needs AES-GCM).
    await new Swarm('public', { trackers: [] }).close()
  } finally {
    Object.defineProperty(globalThis, 'crypto', real)
  }
})
