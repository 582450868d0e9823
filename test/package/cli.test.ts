/**
 * The built `peerweave` command (dist/cli.js, run `npm run build` first) as a user runs
 * it: usage errors, the end of input, --stay. Its peer meets a library peer (dist/node.js)
 * over a WebSocket bridge on 127.0.0.1, with a local tracker from `peerweave tracker`,
 * so no WebRTC connection and nothing beyond loopback.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const cli = `${root}dist/cli.js`
const { Swarm } = (await import(`${root}dist/node.js`)) as typeof import('../../src/node.js')
type Message = import('../../src/node.js').Message
type Member = import('../../src/node.js').Member
type SwarmOptions = import('../../src/node.js').SwarmOptions

interface Run {
  child: ChildProcess
  /** Resolves with the first JSON event on stdout that `match` accepts. */
  event(match: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
  /** Exit code (or signal) and everything written to stderr. */
  exit: Promise<{ code: number | null; stderr: string }>
}

function start(args: string[], stdin: 'pipe' | 'ignore' = 'pipe'): Run {
  const child = spawn(process.execPath, [cli, ...args], { stdio: [stdin, 'pipe', 'pipe'] })
  const events: Record<string, unknown>[] = []
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: Record<string, unknown>
    try {
      e = JSON.parse(line)
    } catch {
      return
    }
    events.push(e)
    for (const w of waiters.splice(0)) (w.match(e) ? w.resolve(e) : waiters.push(w))
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  const exit = once(child, 'exit').then(([code]) => ({ code: code as number | null, stderr }))
  return {
    child,
    exit,
    event: (match) => {
      const seen = events.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve })
        void exit.then(({ code }) => reject(new Error(`peerweave exited (${code}) before the event; stderr:\n${stderr}`)))
      })
    },
  }
}

/** A local tracker from the command itself, and a library peer listening for bridge links. */
async function fixture(t: { after(fn: () => unknown): void }, topic: string, options: SwarmOptions = {}) {
  const tracker = start(['tracker', '--port', '0'], 'ignore')
  const [url] = (await once(createInterface({ input: tracker.child.stdout! }), 'line')) as [string]
  assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+$/)
  const lib = new Swarm(topic, { trackers: [], iceServers: [], listen: 0, ...options })
  const bridge = await lib.listening()
  t.after(async () => {
    await lib.close()
    tracker.child.kill('SIGTERM')
    await tracker.exit
  })
  return { lib, args: ['join', topic, '--json', '--tracker', url, '--bootstrap', bridge] }
}

test('a bad flag value is a usage error (exit 2), not a crash', async () => {
  for (const [args, says] of [
    [['join', 't', '--max-peers', '100'], /--max-peers must be an integer 1-64/],
    // Caught by the library (ERR_INVALID_ARG from dist/node.js, another bundle than the command).
    [['join', 't', '--tracker', 'http://127.0.0.1:1/announce'], /trackers\[0\] must be a ws:\/\/ or wss:\/\/ URL/],
  ] as const) {
    const { code, stderr } = await start([...args], 'ignore').exit
    assert.equal(code, 2, stderr)
    assert.match(stderr, says)
    assert.match(stderr, /usage:/)
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace')
  }
})

test('end of input: the lines read are sent before the peer leaves', { timeout: 60_000 }, async (t) => {
  const { lib, args } = await fixture(t, 'peerweave-cli-eof')
  const got = new Promise<Message>((resolve) => lib.once('message', resolve))
  const run = start(args)
  run.child.stdin!.end('hello from stdin\n')
  const msg = await got
  assert.equal(msg.data, 'hello from stdin')
  const { code, stderr } = await run.exit
  assert.equal(code, 0, stderr)
})

test('--stay: keeps running after the end of input, until a signal', { timeout: 60_000 }, async (t) => {
  const { lib, args } = await fixture(t, 'peerweave-cli-stay')
  const run = start([...args, '--stay', '--debug'], 'ignore')
  await run.event((e) => e.event === 'connect' && e.address === lib.address)
  await lib.send('still there?')
  const m = await run.event((e) => e.event === 'message')
  assert.equal(m.data, 'still there?')
  run.child.kill('SIGTERM')
  await run.event((e) => e.event === 'closed')
  const { code, stderr } = await run.exit
  assert.equal(code, 0, stderr)
  // --debug: what the swarm did, on stderr.
  assert.match(stderr, new RegExp(`^debug: link up ${lib.address} `, 'm'))
  assert.match(stderr, /^debug: closed$/m)
})

test('--presence and --name: members join with their names, and a stopped peer leaves with a goodbye', {
  timeout: 60_000,
}, async (t) => {
  const { lib, args } = await fixture(t, 'peerweave-cli-presence', {
    presence: { intervalMs: 1000 },
    metadata: { name: 'lib' },
  })
  const cliJoined = new Promise<Member>((resolve) => lib.once('join', resolve))
  const run = start([...args, '--stay', '--presence', '--name', 'cli'], 'ignore')
  const joined = await run.event((e) => e.event === 'join' && e.address === lib.address)
  assert.deepEqual(joined.metadata, { name: 'lib' })
  const member = await cliJoined
  assert.deepEqual(member.metadata, { name: 'cli' })
  const left = new Promise<[Member, string]>((resolve) => lib.once('leave', (m, reason) => resolve([m, reason])))
  run.child.kill('SIGTERM')
  const [gone, reason] = await left
  assert.equal(gone.address, member.address)
  assert.equal(reason, 'left')
  const { code, stderr } = await run.exit
  assert.equal(code, 0, stderr)
})
