/**
 * scripts/shims/stream-lite.cjs stands in for readable-stream's Duplex in the browser
 * bundles: for the uses simple-peer 9 makes of it, it must behave like the readable-stream 3
 * Duplex it replaces (installed with simple-peer). Each scenario runs on both and compares
 * what a listener sees.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import type { Duplex as NodeDuplex } from 'node:stream'
import { test } from 'node:test'

type DuplexClass = new (opts?: { allowHalfOpen?: boolean }) => NodeDuplex
const require = createRequire(import.meta.url)
const { Duplex: LiteDuplex } = require('../../scripts/shims/stream-lite.cjs') as { Duplex: DuplexClass }
// Resolved from simple-peer's folder: the very copy the browser bundle would otherwise contain.
const fromSimplePeer = createRequire(require.resolve('simple-peer'))
const { Duplex: RealDuplex } = fromSimplePeer('readable-stream') as { Duplex: DuplexClass }

const settle = () => new Promise((r) => setTimeout(r, 10))

/** A peer-like subclass (as simple-peer 9 builds one) that records what happens. */
function make(Base: DuplexClass, log: string[], opts = { allowHalfOpen: false }) {
  class Peer extends Base {
    written: string[] = []
    override _read() {}
    override _write(chunk: unknown, _enc: string, cb: (err?: Error | null) => void) {
      this.written.push(String(chunk))
      setTimeout(() => cb(null), 1)
    }
  }
  const p = new Peer(opts)
  for (const e of ['end', 'finish', 'close', 'error'])
    p.on(e, (x: unknown) => log.push(e === 'error' ? `error:${(x as Error).message}` : e))
  return p
}

async function bothSee(scenario: (Base: DuplexClass, log: string[]) => Promise<void>): Promise<string[]> {
  const lite: string[] = []
  const real: string[] = []
  await scenario(LiteDuplex, lite)
  await scenario(RealDuplex, real)
  assert.deepEqual(lite, real)
  return lite
}

test('chunks pushed before a data listener arrive, in order, once it is attached', async () => {
  const log = await bothSee(async (Base, log) => {
    const p = make(Base, log)
    p.push(Uint8Array.of(1))
    p.push(Uint8Array.of(2))
    await settle()
    p.on('data', (d: Uint8Array) => log.push(`data:${d[0]}`))
    p.push(Uint8Array.of(3))
    await settle()
    p.push(Uint8Array.of(4))
    await settle()
  })
  assert.deepEqual(log, ['data:1', 'data:2', 'data:3', 'data:4'])
})

test('push(null) ends the readable side and, without allowHalfOpen, finishes the writable side', async () => {
  const log = await bothSee(async (Base, log) => {
    const p = make(Base, log)
    p.on('data', (d: Uint8Array) => log.push(`data:${d[0]}`))
    p.push(Uint8Array.of(7))
    p.push(null)
    await settle()
    log.push(`ended:${(p as unknown as { _readableState: { ended: boolean } })._readableState.ended}`)
    log.push(`finished:${(p as unknown as { _writableState: { finished: boolean } })._writableState.finished}`)
  })
  assert.deepEqual(log, ['data:7', 'end', 'finish', 'ended:true', 'finished:true'])
})

test('end() emits finish once, after pending writes, which run in order', async () => {
  const results: string[][] = []
  const log = await bothSee(async (Base, log) => {
    const p = make(Base, log) as NodeDuplex & { written: string[] }
    p.write('a', (err) => log.push(`cb:a:${err ?? null}`))
    p.write('b', (err) => log.push(`cb:b:${err ?? null}`))
    p.end()
    p.end()
    await settle()
    await settle()
    results.push(p.written)
  })
  assert.deepEqual(log, ['cb:a:null', 'cb:b:null', 'finish'])
  assert.deepEqual(results, [
    ['a', 'b'],
    ['a', 'b'],
  ])
})

test('simple-peer destroy path: push(null) and end() with no data listener never throw', async () => {
  for (const Base of [LiteDuplex, RealDuplex]) {
    const log: string[] = []
    const p = make(Base, log)
    const rs = (p as unknown as { _readableState: { ended: boolean } })._readableState
    if (!rs.ended) p.push(null)
    p.end()
    await settle()
    assert.ok(log.includes('finish'), `${Base.name}: ${log}`)
  }
})
