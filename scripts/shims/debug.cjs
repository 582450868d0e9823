// `debug` for the browser bundles: loggers that are always off. simple-peer 9 logs through
// `debug`, which in a browser is off unless localStorage.debug is set; the real package
// (with `ms`) costs ~2.3 KiB gzipped of the bundle budget for output nobody sees by
// default. scripts/build.mjs aliases `debug` to this file for the browser bundles only.
// CommonJS like the real one, since simple-peer calls `require('debug')('simple-peer')`.
function noop() {}

function debug(namespace) {
  const log = () => {}
  log.enabled = false
  log.namespace = namespace
  log.extend = (sub) => debug(`${namespace}:${sub}`)
  log.destroy = noop
  return log
}

debug.enable = noop
debug.disable = () => ''
debug.enabled = () => false
debug.default = debug

module.exports = debug
