#!/usr/bin/env node
/**
 * `npm run build`: the bundles in dist/ and their type declarations.
 *
 *   dist/peerweave.js       ESM for browsers and bundlers (`import`, `<script type=module>`), self-contained
 *   dist/peerweave.min.js   IIFE, minified, sets `window.peerweave` (CDN `<script src>`)
 *   dist/node.js            Node ESM; dependencies stay external (installed with the package)
 *   dist/cli.js             the `peerweave` command (shebang, Node ESM)
 *   dist/types/             .d.ts from `tsc -p tsconfig.build.json`
 *
 * The browser bundles must not pull in Node: the build fails when their metafile names
 * a Node built-in, `ws`, `@roamhq/wrtc`, `node-datachannel` or any external import.
 * It prints each file's raw and gzipped size; `--json` prints them as JSON instead, and
 * `--analyze` what makes up dist/peerweave.min.js.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import * as esbuild from 'esbuild'
import { minify } from 'terser'
import { INTERNAL_MEMBERS } from './internal-members.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const shims = join(root, 'scripts', 'shims')
const json = process.argv.includes('--json')

/** What the browser flags in shared/DESIGN.md ("Platform facts") ask for. */
const browser = {
  bundle: true,
  platform: 'browser',
  target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
  define: {
    'process.browser': 'true',
    global: 'globalThis',
    'process.env.NODE_ENV': '"production"',
    // The source spells it out (lint: useNumberNamespace; -Number.POSITIVE_INFINITY for minus);
    // the minifier writes the global as 1/0.
    'Number.POSITIVE_INFINITY': 'Infinity',
  },
  // Smaller stand-ins for what simple-peer 9 pulls in (each file says why and what it covers).
  alias: {
    buffer: join(shims, 'buffer-lite.js'),
    debug: join(shims, 'debug.cjs'),
    'readable-stream': join(shims, 'stream-lite.cjs'),
    events: join(shims, 'events-lite.cjs'),
    randombytes: join(shims, 'randombytes.cjs'),
    'err-code': join(shims, 'err-code.cjs'),
    'get-browser-rtc': join(shims, 'get-browser-rtc.cjs'),
    'queue-microtask': join(shims, 'queue-microtask.cjs'),
    // Private swarms use WebCrypto AES-GCM in browsers; see the stub for why.
    '@noble/ciphers/aes.js': join(shims, 'noble-aes-stub.js'),
  },
  // Nothing may stay external in a browser bundle: an unresolved Node built-in fails the build.
  metafile: true,
  // simple-peer 9 and the shims keep their internals in `_`-prefixed properties, and our
  // own classes the private members listed below: renamed consistently across the bundle
  // (nothing outside it reads them; none is an option, a wire field or public API, and
  // none is ever named in a string): ~0.5 KiB and ~0.2 KiB gzipped.
  mangleProps: new RegExp(`^(_[a-zA-Z]|(${INTERNAL_MEMBERS.join('|')})$)`),
  // Class fields assigned in the constructor instead of declared one by one (TypeScript's
  // pre-ES2022 emit): no bare `field;` list per class (~1 KiB minified). No class of ours
  // relies on define semantics (no field shadows an accessor of a base class).
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  sourcemap: true,
  // The bundled packages' license notices go to <bundle>.LEGAL.txt beside each bundle (in
  // the package's dist/, served with it by CDNs), named by a comment at the bundle's end:
  // ~150 bytes gzipped that browsers need not download (test/package checks the file).
  legalComments: 'linked',
  logLevel: 'warning',
}

const node = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
}

/** Packages that must never reach a browser bundle (Node-only transports and servers). */
const NODE_ONLY = new Set(['ws', '@roamhq/wrtc', 'node-datachannel', 'webrtc-polyfill', 'bittorrent-tracker'])
const BUILTINS = new Set(builtinModules)
const SHIMS = new Set(browser.inject ?? [])
const isShim = (path) => path.startsWith('scripts/shims/') || SHIMS.has(path)

function packageOf(input) {
  const at = input.lastIndexOf('node_modules/')
  if (at < 0) return undefined
  const rest = input.slice(at + 'node_modules/'.length).split('/')
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
}

/**
 * Every reason a browser bundle is not browser-only, from esbuild's metafile: a Node-only
 * package among the inputs, a `node:` module, or an import left external (which a browser
 * could not load). A built-in's name is fine only where it resolved to an npm package of
 * that name (`events`, `string_decoder`), to one of scripts/shims/ (`buffer`) or to a module
 * a package's `browser` field disabled (`(disabled):util`).
 */
function nodeLeaks(metafile) {
  const leaks = []
  for (const [input, info] of Object.entries(metafile.inputs)) {
    const pkg = packageOf(input)
    if (input.startsWith('node:') || (pkg && NODE_ONLY.has(pkg))) leaks.push(`input ${input}`)
    for (const imp of info.imports) {
      const spec = imp.original ?? imp.path
      if (imp.external && !SHIMS.has(imp.path)) leaks.push(`${input} imports ${spec} (external)`)
      else if (spec.startsWith('node:')) leaks.push(`${input} imports ${spec}`)
      else if (
        BUILTINS.has(spec) &&
        packageOf(imp.path) !== spec &&
        !isShim(imp.path) &&
        !imp.path.startsWith('(disabled):')
      )
        leaks.push(`${input} imports the Node built-in ${spec} (resolved to ${imp.path})`)
    }
  }
  for (const [output, info] of Object.entries(metafile.outputs)) {
    for (const imp of info.imports ?? []) if (imp.external) leaks.push(`${output} imports ${imp.path}`)
  }
  return leaks
}

/**
 * simple-peer logs through `this._debug(...)` 41 times; in the browser bundles `debug` is a
 * logger that is always off (scripts/shims/debug.cjs), but the calls and their format strings
 * stayed: ~420 bytes gzipped of the CDN file. They are cut from its source as it loads (each
 * call, always a statement, becomes `void 0;`: its arguments are plain reads). The build fails should the pattern
 * stop matching (a new simple-peer), rather than ship the strings silently.
 */
const quietSimplePeer = {
  name: 'quiet-simple-peer',
  setup(build) {
    build.onLoad({ filter: /[\\/]simple-peer[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const { code, cut } = cutCalls(source, 'this._debug(')
      if (cut < 30) fail(`expected ~41 this._debug calls in ${args.path}, cut ${cut}`)
      return { contents: emptyMethods(code, MEDIA_METHODS, args.path), loader: 'js' }
    })
  },
}

browser.plugins = [quietSimplePeer]

/**
 * simple-peer's audio/video methods: peerweave opens one data channel and never passes
 * streams or tracks, so in the browser bundles their bodies are emptied (2.2 KiB less
 * minified, 0.5 KiB gzipped). Emptied, not removed: the constructor and signal() still
 * name them.
 */
const MEDIA_METHODS = [
  'addTransceiver',
  'addStream',
  'addTrack',
  'replaceTrack',
  'removeTrack',
  'removeStream',
  '_requestMissingTransceivers',
  '_onTrack',
]

/** Empty the body of each method `names` lists (class methods at two-space indent); fail if one is missing. */
function emptyMethods(source, names, path) {
  let code = source
  for (const name of names) {
    const head = new RegExp(`\\n  ${name} \\([^)]*\\) \\{`).exec(code)
    if (!head) fail(`expected method ${name} in ${path}`)
    const open = head.index + head[0].length - 1
    const close = matchingBrace(code, open)
    code = `${code.slice(0, open)}{}${code.slice(close + 1)}`
  }
  return code
}

/** Index of the brace closing the one at `open`, skipping strings, template literals and comments. */
function matchingBrace(code, open) {
  let depth = 0
  for (let i = open; i < code.length; i++) {
    const c = code[i]
    if (c === '/' && code[i + 1] === '/') i = code.indexOf('\n', i)
    else if (c === '/' && code[i + 1] === '*') i = code.indexOf('*/', i) + 1
    else if (c === "'" || c === '"' || c === '`') {
      for (i++; i < code.length && code[i] !== c; i++) if (code[i] === '\\') i++
    } else if (c === '{') depth++
    else if (c === '}' && --depth === 0) return i
  }
  fail('unbalanced braces in simple-peer')
}

/** Replace every call starting with `head` (balanced parentheses, strings skipped) by `void 0;`. */
function cutCalls(source, head) {
  let code = ''
  let at = 0
  let cut = 0
  for (let start = source.indexOf(head); start >= 0; start = source.indexOf(head, at)) {
    let depth = 0
    let i = start + head.length - 1
    for (; i < source.length; i++) {
      const c = source[i]
      if (c === "'" || c === '"' || c === '`') {
        for (i++; i < source.length && source[i] !== c; i++) if (source[i] === '\\') i++
      } else if (c === '(') depth++
      else if (c === ')' && --depth === 0) break
    }
    code += `${source.slice(at, start)}void 0;`
    at = i + 1
    cut++
  }
  return { code: code + source.slice(at), cut }
}

/** The command loads the Node entry from dist/node.js beside it instead of bundling a second copy. */
const siblingNodeEntry = {
  name: 'sibling-node-entry',
  setup(build) {
    build.onResolve({ filter: /^\.\/node\.js$/ }, (args) =>
      args.importer === join(root, 'src/cli.ts') ? { path: './node.js', external: true } : undefined,
    )
  },
}

/**
 * The script-tag bundle once more through terser (two compress passes, names chosen by
 * frequency): esbuild's minifier is fast but names and folds less. Measured when this was
 * added: 62,230 bytes gzipped from esbuild alone, 59,652 after terser (-2,578), ~3 s more.
 * The source map is chained, so it still points into src/; the license pointer stays.
 */
async function recompress(file) {
  const out = await minify(readFileSync(file, 'utf8'), {
    ecma: 2022,
    compress: { passes: 2 },
    mangle: true,
    sourceMap: { content: readFileSync(`${file}.map`, 'utf8'), url: 'peerweave.min.js.map' },
    format: { comments: /license information/ },
  })
  writeFileSync(file, out.code)
  writeFileSync(`${file}.map`, out.map)
}

function fail(message) {
  console.error(`build failed: ${message}`)
  process.exit(1)
}

rmSync(dist, { recursive: true, force: true })

const results = await Promise.all([
  esbuild.build({
    ...browser,
    entryPoints: [join(root, 'src/index.ts')],
    format: 'esm',
    outfile: join(dist, 'peerweave.js'),
  }),
  esbuild.build({
    ...browser,
    entryPoints: [join(root, 'src/iife.ts')],
    format: 'iife',
    minify: true,
    outfile: join(dist, 'peerweave.min.js'),
  }),
  esbuild.build({ ...node, entryPoints: [join(root, 'src/node.ts')], outfile: join(dist, 'node.js') }),
  esbuild.build({
    ...node,
    entryPoints: [join(root, 'src/cli.ts')],
    outfile: join(dist, 'cli.js'),
    banner: { js: '#!/usr/bin/env node' },
    plugins: [siblingNodeEntry],
  }),
])

for (const result of results.slice(0, 2)) {
  const leaks = nodeLeaks(result.metafile)
  if (leaks.length > 0) fail(`Node-only code in a browser bundle:\n  ${leaks.join('\n  ')}`)
}
if (process.argv.includes('--analyze')) console.log(await esbuild.analyzeMetafile(results[1].metafile))
await recompress(join(dist, 'peerweave.min.js'))

execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
  {
    stdio: 'inherit',
    cwd: root,
  },
)

const sizes = ['peerweave.js', 'peerweave.min.js', 'node.js', 'cli.js'].map((file) => {
  const bytes = readFileSync(join(dist, file))
  return {
    file: `dist/${file}`,
    bytes: statSync(join(dist, file)).size,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
  }
})
if (json) console.log(JSON.stringify(sizes))
else {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
  for (const s of sizes)
    console.log(`${s.file.padEnd(22)} ${kib(s.bytes).padStart(10)}   gzip ${kib(s.gzipBytes).padStart(9)}`)
}
