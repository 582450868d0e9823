/**
 * The published types as the package's users compile against them (run `npm run build`
 * first): a browser app with no Node types at all (TypeScript 6+ defaults `types` to [],
 * Vite templates list only their own) and a Node app, both with skipLibCheck off so the
 * declarations themselves are checked too. Each consumer links the package into a
 * node_modules of its own and resolves it through the exports map.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const tsc = join(root, 'node_modules/typescript/bin/tsc')

async function compile(
  files: Record<string, string>,
  compilerOptions: Record<string, unknown>,
  packageJson: Record<string, unknown> = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'peerweave-consumer-'))
  try {
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(root, join(dir, 'node_modules/peerweave'), 'dir')
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, ...packageJson }))
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    const base = { target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { ...base, ...compilerOptions }, files: Object.keys(files) }),
    )
    const out = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch(
      (err: { stdout?: string; stderr?: string }) => ({ stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`, failed: true }),
    )
    return 'failed' in out ? out.stdout || 'tsc failed' : ''
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// Event listeners get typed arguments; a misspelt event name is an error.
const usesEvents = `
import { Swarm, PeerweaveError, type Message, type PeerInfo } from 'peerweave'
const swarm = new Swarm('my topic', { trackers: ['wss://tracker.example'] })
swarm.on('message', (msg) => {
  const m: Message = msg
  const hops: number = msg.hops
  if (msg.data === 'ping?') void msg.reply('pong')
  console.log(m.from, hops)
})
swarm.on('connect', (peer) => {
  const p: PeerInfo = peer
  console.log(p.address.toUpperCase())
})
swarm.once('warning', (err) => {
  const code: string = err.code
  console.log(code, err instanceof PeerweaveError)
})
swarm.off('close', () => {})
// @ts-expect-error: there is no 'mesage' event
swarm.on('mesage', () => {})
// @ts-expect-error: a message listener gets a Message, not a number
swarm.on('message', (n: number) => n)
await swarm.waitForPeers(1)
await swarm.send('hello')
`

test('a browser app with no Node types compiles against the package (typed events)', { timeout: 120_000 }, async () => {
  const errors = await compile(
    { 'app.ts': usesEvents },
    { module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [] },
    { type: 'module' },
  )
  assert.equal(errors, '')
})

test('a Node app compiles against the package, bridge methods included', { timeout: 120_000 }, async () => {
  const node = `${usesEvents}
import { once } from 'node:events'
// In Node a swarm is a full EventEmitter (what takes one takes a swarm).
const [first] = await once(swarm, 'message')
console.log(first, swarm.rawListeners('message').length)
const anchor = new Swarm('my topic', { listen: 9000, trackers: [] })
const url: string = await anchor.listening()
console.log(url, anchor.listenUrl, swarm.stats()[0]?.lastHeardAt)
`
  const errors = await compile(
    { 'app.ts': node },
    {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
    },
    { type: 'module' },
  )
  assert.equal(errors, '')
})
