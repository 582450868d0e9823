#!/usr/bin/env node
/**
 * `node scripts/size-simple-peer.mjs`: what each WebRTC wrapper adds to a browser bundle,
 * minified and gzipped, built with the same esbuild settings as dist/peerweave.min.js.
 * simple-peer 9 is measured twice: with the npm polyfills a plain bundler would pull in
 * (buffer, readable-stream, debug) and with the stand-ins scripts/build.mjs ships.
 * @thaunknown/simple-peer (the maintained fork) is measured when installed (it comes with
 * bittorrent-tracker).
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import * as esbuild from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const shims = join(root, 'scripts', 'shims')
const require = createRequire(join(root, 'package.json'))
const version = (name) => {
  try {
    return require(`${name}/package.json`).version
  } catch {
    return undefined
  }
}

const base = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  minify: true,
  write: false,
  absWorkingDir: root,
  define: { 'process.browser': 'true', global: 'globalThis' },
  inject: [join(shims, 'process.js'), join(shims, 'buffer.js')],
  logLevel: 'silent',
}
const standIns = {
  buffer: join(shims, 'buffer-lite.js'),
  debug: join(shims, 'debug.cjs'),
  'readable-stream': join(shims, 'stream-lite.cjs'),
}

const cases = [
  [`simple-peer ${version('simple-peer')} + npm buffer/readable-stream/debug`, 'simple-peer', {}],
  [`simple-peer ${version('simple-peer')} + peerweave's stand-ins (ships)`, 'simple-peer', { alias: standIns }],
]
const fork = version('@thaunknown/simple-peer')
if (fork) {
  cases.push([`@thaunknown/simple-peer ${fork} (index.js)`, '@thaunknown/simple-peer', {}])
  cases.push([`@thaunknown/simple-peer ${fork} (lite.js, data only)`, '@thaunknown/simple-peer/lite.js', {}])
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
for (const [name, spec, extra] of cases) {
  const result = await esbuild.build({
    ...base,
    ...extra,
    stdin: { contents: `import Peer from '${spec}'\nexport default Peer\n`, resolveDir: root },
  })
  const bytes = result.outputFiles[0].contents
  console.log(`${name.padEnd(62)} min ${kib(bytes.length).padStart(9)}   gzip ${kib(gzipSync(bytes, { level: 9 }).length).padStart(8)}`)
}
