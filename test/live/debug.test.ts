/**
 * The `debug` option (peernet's and easypeers' `debug`): a line for each thing the swarm
 * does, here its bridge listening, its start, a bridge link coming up and going down with why, the search for
 * peers that follows, and its close. Two Node peers over a WebSocket bridge on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BridgeNet } from './bridge-helpers.js'

test('debug: lines for the start, the link up, the link down with its reason, the search and the close', {
  timeout: 60_000,
}, async () => {
  const net = new BridgeNet()
  try {
    const lines: string[] = []
    const waiting: { re: RegExp; resolve: () => void }[] = []
    const line = (re: RegExp) =>
      lines.some((l) => re.test(l)) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ re, resolve }))
    const debug = (l: string) => {
      lines.push(l)
      for (const w of waiting.filter((w) => w.re.test(l))) w.resolve()
    }
    const a = await net.add('debug')
    const b = await net.add('debug', { bootstrap: [a.listenUrl!], debug })
    const hex = '[0-9a-f]{40}'
    await line(new RegExp(`^link up ${a.address} \\(websocket, out\\), 1 linked$`))
    await a.close()
    await line(new RegExp(`^link down ${a.address} \\(left\\), 0 linked$`))
    await line(/^look for peers \(needy\), 0 linked$/)
    await b.close()
    // A Node peer that listens starts once its bridge is up.
    assert.equal(lines[0], `listening at ${b.listenUrl}`)
    assert.match(lines[1]!, new RegExp(`^start ${b.address} on ${hex}: trackers 0, bootstrap 1$`))
    assert.equal(lines.at(-1), 'closed')
  } finally {
    await net.closeAll()
  }
})
