// node scripts/build-bench.mjs perf|sim|live|profile
//
// Bundles one benchmark (test/bench/<name>.ts) the way dist/node.js is built (esbuild,
// target node20, packages left to node_modules) into node_modules/.cache/peerweave-bench/,
// so `npm run bench…` measures the code the package ships. Running the sources through
// tsx instead measures tsx's transform too: it keeps function names with a `__name(fn)`
// call wherever a named closure is made, which the published build never does (~5% of
// the request/reply round trip, and more of the simulator's timers).
import * as esbuild from 'esbuild'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const BENCHES = ['perf', 'sim', 'live', 'profile']
const name = process.argv[2]
if (!BENCHES.includes(name)) {
  console.error(`usage: node scripts/build-bench.mjs ${BENCHES.join('|')}`)
  process.exit(2)
}

await esbuild.build({
  entryPoints: [join(root, `test/bench/${name}.ts`)],
  outfile: join(root, `node_modules/.cache/peerweave-bench/${name}.mjs`),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Bare imports stay imports: node resolves them from the project's node_modules, as
  // it does for dist/node.js.
  packages: 'external',
  logLevel: 'warning',
})
