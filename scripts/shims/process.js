// The slice of Node's `process` that simple-peer 9 and its readable-stream 3 read in a
// browser: `nextTick` (27 call sites), `env` (debug's DEBUG lookup) and `browser`
// (also replaced at build time by --define). Injected by scripts/build.mjs, so only
// bundles that mention the free identifier `process` get it.
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
