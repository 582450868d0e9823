#!/bin/sh
# The whole gate, in the order that fails fastest: lint, types (core alone with no
# DOM/Node types, then everything), unit and property tests, simulator scenarios,
# then live tests over real WebRTC/WebSocket inside a loopback-only namespace, then
# the build and the built package (size budget, exports, publint, attw, the command,
# loopback-only namespace: the command's peer makes WebRTC offers for its tracker), then
# the browser tests (Playwright driving Chromium against dist/, loopback-only namespace).
set -e
npm run --silent lint
npm run --silent typecheck
npm run --silent test:unit
npm run --silent test:sim
if ls test/live/*.test.ts >/dev/null 2>&1; then npm run --silent test:live; fi
npm run --silent build
npm run --silent test:package
if ls playwright/*.test.ts >/dev/null 2>&1; then npm run --silent test:browser; fi
