// `debug` for the browser bundles: loggers that are always off. simple-peer 9 logs through
// `debug`, which in a browser is off unless localStorage.debug is set; the real package
// (with `ms`) costs ~2.3 KiB gzipped of the bundle budget for output nobody sees by
// default. scripts/build.mjs aliases `debug` to this file for the browser bundles only.
function noop() {}

export default function debug(namespace) {
  const log = (..._args) => {}
  log.enabled = false
  log.namespace = namespace
  log.extend = (sub) => debug(`${namespace}:${sub}`)
  log.destroy = noop
  return log
}

debug.enable = noop
debug.disable = () => ''
debug.enabled = () => false
