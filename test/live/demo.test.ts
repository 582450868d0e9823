import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

test('npm start --once: the demo forms a mesh, delivers a broadcast to every peer and a direct message, exits 0', {
  timeout: 70_000,
}, async () => {
  const child = spawn('npx', ['tsx', 'scripts/demo.ts', '--once'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (b: Buffer) => {
    out += b
  })
  child.stderr.on('data', (b: Buffer) => {
    out += b
  })
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
      resolve(null)
    }, 60_000)
    child.on('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  assert.equal(code, 0, `demo did not exit 0 within 60 s (code ${code}):\n${out}`)
  const broadcasts = new Set(
    [...out.matchAll(/^broadcast arrived at (p\d) .* from p1 .*\(hops (\d+)\)/gm)].map((m) => m[1]),
  )
  assert.deepEqual([...broadcasts].sort(), ['p2', 'p3', 'p4', 'p5', 'p6'], `broadcast arrivals:\n${out}`)
  assert.match(
    out,
    /^direct arrived at p[2-6] .* from p1 .*\(hops \d+\): "just for you, p\d"/m,
    `direct arrival:\n${out}`,
  )
  assert.match(out, /^done$/m)
})
