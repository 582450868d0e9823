// The slice of Node's `process` that simple-peer 9 and its readable-stream 3 read in a
// browser: `nextTick` (27 call sites), `env` (debug's DEBUG lookup) and `browser`
// (also replaced at build time by --define). Injected only by scripts/size-simple-peer.mjs,
// to size simple-peer with the real npm packages: peerweave's bundles alias those to
// stand-ins that never read `process`, so scripts/build.mjs injects nothing.
const nextTick = (fn, ...args) => queueMicrotask(() => fn(...args))

export const process = {
  browser: true,
  env: {},
  argv: [],
  version: '',
  versions: {},
  platform: 'browser',
  nextTick,
}
