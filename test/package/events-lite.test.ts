/**
 * scripts/shims/events-lite.cjs stands in for the npm `events` package in the browser
 * bundles. For the API peerweave and the stream stand-in use, it must behave like the
 * real one: each scenario runs on both and compares what the listeners saw.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

interface Emitter {
  on(name: string, l: (...a: unknown[]) => void): Emitter
  once(name: string, l: (...a: unknown[]) => void): Emitter
  off(name: string, l: (...a: unknown[]) => void): Emitter
  removeAllListeners(name?: string): Emitter
  emit(name: string, ...a: unknown[]): boolean
  listenerCount(name: string): number
}
type EmitterClass = new () => Emitter
const require = createRequire(import.meta.url)
const Lite = require('../../scripts/shims/events-lite.cjs').EventEmitter as EmitterClass
const Real = require('events').EventEmitter as EmitterClass

function scenario(E: EmitterClass): unknown[] {
  const seen: unknown[] = []
  const e = new E()
  const a = (x: unknown) => seen.push(['a', x])
  const b = (x: unknown) => {
    seen.push(['b', x])
    e.on('m', (y: unknown) => seen.push(['late', y])) // added during emit: not run for this one
  }
  e.on('m', a)
  e.once('m', b)
  seen.push(e.emit('m', 1), e.listenerCount('m'))
  e.emit('m', 2)
  e.off('m', a)
  e.emit('m', 3)
  seen.push(e.emit('none'))
  e.removeAllListeners('m')
  seen.push(e.listenerCount('m'))
  const once = (x: unknown) => seen.push(['once', x])
  e.once('o', once)
  e.off('o', once) // removing a once listener by the original function
  seen.push(e.emit('o', 1))
  try {
    e.emit('error', new Error('boom'))
  } catch (err) {
    seen.push(['threw', (err as Error).message])
  }
  return seen
}

test('events-lite behaves like the events package for the API the bundle uses', () => {
  assert.deepEqual(scenario(Lite), scenario(Real))
})
