/**
 * The browser build's stand-ins for simple-peer's small helpers (scripts/shims/*.cjs),
 * against the real packages where those are installed.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

const require = createRequire(import.meta.url)
const errCode = require('../../scripts/shims/err-code.cjs') as (err: unknown, code: string) => Error & { code: string; cause?: unknown }
const realErrCode = require('err-code') as (err: unknown, code: string) => Error & { code: string }
const randombytes = require('../../scripts/shims/randombytes.cjs') as (n: number) => Uint8Array & { toString(e: string): string }
const getBrowserRtc = require('../../scripts/shims/get-browser-rtc.cjs') as () => unknown
const queueMicrotaskShim = require('../../scripts/shims/queue-microtask.cjs') as (fn: () => void) => void

test('err-code: tags a plain error in place, like the real package', () => {
  const e = new Error('boom')
  assert.equal(errCode(e, 'ERR_X'), e)
  assert.equal((e as Error & { code?: string }).code, 'ERR_X')
  const r = new Error('boom')
  assert.equal(realErrCode(r, 'ERR_X'), r)
  assert.equal((r as Error & { code?: string }).code, 'ERR_X')
})

test('err-code: an error whose code is read-only (a DOMException) comes back wrapped, with its message and the code', () => {
  const dom = new DOMException('setRemoteDescription failed', 'InvalidStateError')
  const tagged = errCode(dom, 'ERR_SET_REMOTE_DESCRIPTION')
  assert.equal(tagged.code, 'ERR_SET_REMOTE_DESCRIPTION')
  assert.equal(tagged.message, 'setRemoteDescription failed')
  assert.equal(tagged.cause, dom)
  assert.equal(realErrCode(dom, 'ERR_SET_REMOTE_DESCRIPTION').code, 'ERR_SET_REMOTE_DESCRIPTION', 'as the real one')
})

test('randombytes: n random bytes whose hex is 2n characters, different each call', () => {
  const a = randombytes(20)
  const b = randombytes(20)
  assert.equal(a.length, 20)
  assert.match(a.toString('hex'), /^[0-9a-f]{40}$/)
  assert.notEqual(a.toString('hex'), b.toString('hex'))
  assert.match(randombytes(4).toString('hex').slice(0, 7), /^[0-9a-f]{7}$/)
})

test('get-browser-rtc answers none; queue-microtask runs the function as a microtask', async () => {
  assert.equal(getBrowserRtc(), null)
  const order: string[] = []
  queueMicrotaskShim(() => order.push('microtask'))
  order.push('sync')
  await Promise.resolve()
  assert.deepEqual(order, ['sync', 'microtask'])
})
