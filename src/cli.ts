/**
 * The `peerweave` command.
 *
 *   peerweave join <topic> [--tracker URL]... [--listen PORT] [--bootstrap URL]... [--max-peers N] [--json] [--stay] [--debug] [--name NAME] [--presence]
 *   peerweave tracker [--port N] [--host H]
 *
 * `join` runs a headless peer: prints what arrives, broadcasts each stdin line, and
 * sends `@<address> text` lines direct (an address prefix is enough when it names one
 * neighbour or sender). At the end of input it leaves once its sends have settled, or
 * with --stay keeps running until a signal (a service with no stdin). Exit codes: 0 on
 * a clean stop, 1 on failure, 2 on bad usage.
 */
import { createInterface } from 'node:readline'
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { messageEvent, messageLine, peerEvent, type Status, short, statusLine } from './cli/format.js'
import type { Swarm as SwarmType, SwarmOptions } from './node.js'
import { MAX_PEERS_LIMIT } from './swarm/options.js'

const USAGE = `usage:
  peerweave join <topic> [--tracker URL]... [--listen PORT] [--bootstrap URL]... [--max-peers N] [--json] [--stay] [--debug] [--name NAME] [--presence]
  peerweave tracker [--port N] [--host H]

join     run a headless peer of <topic>: prints arriving messages, broadcasts each stdin
         line, '@<address> text' sends direct; Ctrl-C leaves the swarm, and so does the
         end of input once its lines are sent (--stay: keep running, for services);
         --debug writes what the swarm does to stderr; --name sets this peer's metadata
         { name }; --presence keeps the member list and prints who joins and leaves
tracker  run a local WebTorrent (websocket) tracker and print its URL`

const STATUS_EVERY_MS = 3000

class UsageError extends Error {}

/**
 * The error's code when it is a PeerweaveError. Not `instanceof`: the built command
 * (dist/cli.js) and the library it loads (dist/node.js) are two bundles, each with its
 * own copy of the class, so an error from one is never an instance of the other's.
 */
function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return err instanceof Error && err.name === 'PeerweaveError' && typeof code === 'string' ? code : undefined
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const

function parse<O extends ParseArgsOptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

function integer(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer ${min}-${max}, got '${String(value)}'`)
  return n
}

function onStop(stop: () => void): () => void {
  let signals = 0
  const handler = () => {
    if (++signals > 1) process.exit(130) // a second Ctrl-C while closing: give up waiting
    stop()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

async function tracker(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { ...HELP, port: { type: 'string' }, host: { type: 'string' } })
  if (values.help) return void console.log(USAGE)
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`)
  const port = integer('port', values.port, 0, 65535) ?? 8000
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1'
  const { startTracker } = await import('./tracker-server.js')
  const t = await startTracker({ port, host })
  console.log(t.url)
  console.error(`peerweave: tracker listening at ${t.url} (Ctrl-C to stop)`)
  const off = onStop(() => {
    off()
    t.close().then(() => console.error('peerweave: tracker stopped'))
  })
}

async function join(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    ...HELP,
    tracker: { type: 'string', multiple: true },
    listen: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    'max-peers': { type: 'string' },
    json: { type: 'boolean' },
    stay: { type: 'boolean' },
    debug: { type: 'boolean' },
    name: { type: 'string' },
    presence: { type: 'boolean' },
  })
  if (values.help) return void console.log(USAGE)
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `unexpected argument '${positionals[1]}'` : 'missing <topic>')
  const topic = positionals[0]!
  const json = values.json === true
  const listen = integer('listen', values.listen, 0, 65535)
  const maxPeers = integer('max-peers', values['max-peers'], 1, MAX_PEERS_LIMIT)
  const options: SwarmOptions = {
    ...(values.tracker ? { trackers: values.tracker } : {}),
    ...(values.bootstrap ? { bootstrap: values.bootstrap } : {}),
    ...(listen !== undefined ? { listen } : {}),
    ...(maxPeers !== undefined ? { maxPeers } : {}),
    ...(values.debug ? { debug: (line: string) => console.error(`debug: ${line}`) } : {}),
    ...(values.name !== undefined ? { metadata: { name: values.name } } : {}),
    ...(values.presence ? { presence: true } : {}),
  }
  const { Swarm } = await import('./node.js')
  // The count of known peers lives in the mesh core; a subclass may read it.
  class CliSwarm extends Swarm {
    get knownPeers(): number {
      return this.node.known.size
    }
  }
  let swarm: CliSwarm
  try {
    swarm = new CliSwarm(topic, options)
  } catch (err) {
    if (errorCode(err) === 'ERR_INVALID_ARG') throw new UsageError((err as Error).message)
    throw err
  }
  runPeer(swarm, topic, json, values.stay === true)
}

/** ' (name)' for metadata with a string name, else nothing. */
function nameOf(metadata: unknown): string {
  const name = (metadata as { name?: unknown } | null | undefined)?.name
  return typeof name === 'string' ? ` (${name})` : ''
}

function runPeer(swarm: SwarmType & { knownPeers: number }, topic: string, json: boolean, stay: boolean): void {
  const out = (event: Record<string, unknown>) => console.log(JSON.stringify(event))
  const note = (line: string) => console.error(line)
  const senders = new Set<string>()
  const counts = { in: 0, out: 0 }
  const status = (): Status => ({ neighbours: swarm.peers.length, known: swarm.knownPeers, messagesIn: counts.in, messagesOut: counts.out })
  let lastStatus = ''

  if (json) out({ event: 'ready', address: swarm.address, identifier: swarm.identifier, topic })
  else note(`peerweave: joined '${topic}' as ${swarm.address}\n  type a line to broadcast it, '@<address> text' to send direct, Ctrl-C to leave`)

  swarm.on('message', (msg) => {
    counts.in++
    senders.add(msg.from)
    if (json) out(messageEvent(msg))
    else console.log(messageLine(msg))
  })
  swarm.on('connect', (peer) => (json ? out(peerEvent('connect', peer)) : note(`+ ${short(peer.address)} connected (${peer.transport}, ${peer.direction})`)))
  swarm.on('disconnect', (peer, reason) =>
    json ? out({ ...peerEvent('disconnect', peer), reason }) : note(`- ${short(peer.address)} disconnected (${reason})`),
  )
  swarm.on('join', (m) =>
    json
      ? out({ event: 'join', address: m.address, metadata: m.metadata ?? null })
      : note(`* ${short(m.address)}${nameOf(m.metadata)} joined the swarm`),
  )
  swarm.on('leave', (m, reason) =>
    json
      ? out({ event: 'leave', address: m.address, reason })
      : note(`* ${short(m.address)}${nameOf(m.metadata)} ${reason === 'left' ? 'left the swarm' : 'was lost'}`),
  )
  swarm.on('warning', (err) => (json ? out({ event: 'warning', code: err.code, message: err.message }) : note(`warning: ${err.code}: ${err.message}`)))

  const showStatus = () => {
    const s = status()
    const line = statusLine(s)
    if (line === lastStatus) return
    lastStatus = line
    if (json) out({ event: 'status', ...s, known: s.known ?? null })
    else note(line)
  }
  const timer = setInterval(showStatus, STATUS_EVERY_MS)
  swarm.on('connect', showStatus)
  swarm.on('disconnect', showStatus)

  const failed = (what: string, err: unknown) => {
    const code = errorCode(err) ?? 'ERR_SEND'
    const message = `${what}: ${(err as Error)?.message ?? String(err)}`
    if (json) out({ event: 'warning', code, message })
    else note(`error: ${code}: ${message}`)
  }
  const resolve = (prefix: string): string | undefined => {
    const candidates = new Set([...swarm.peers.map((p) => p.address), ...senders])
    const hits = [...candidates].filter((a) => a.startsWith(prefix.toLowerCase()))
    return hits.length === 1 ? hits[0] : /^[0-9a-f]{16,}$/i.test(prefix) ? prefix.toLowerCase() : undefined
  }

  // Sends not settled yet: the end of input waits for them (`echo hi | peerweave join t`).
  const sending = new Set<Promise<unknown>>()
  const track = (p: Promise<unknown>) => {
    const settled: Promise<unknown> = p.then(
      () => sending.delete(settled),
      () => sending.delete(settled),
    )
    sending.add(settled)
  }
  const rl = createInterface({ input: process.stdin, terminal: false })
  rl.on('line', (raw) => {
    const line = raw.trim()
    if (!line) return
    const direct = /^@(\S+)\s+([\s\S]*)$/.exec(line)
    if (line.startsWith('@') && !direct) return failed('direct', new Error("expected '@<address> text'"))
    if (direct) {
      const to = resolve(direct[1]!)
      if (!to) return failed('direct', new Error(`no single known peer matches '${direct[1]}'`))
      counts.out++
      track(swarm.send(to, direct[2]!).catch((err) => failed(`direct to ${short(to)}`, err)))
    } else {
      counts.out++
      track(swarm.send(line).catch((err) => failed('broadcast', err)))
    }
  })

  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    offSignals()
    clearInterval(timer)
    rl.close()
    process.stdin.pause()
    if (!json) note('peerweave: leaving the swarm ...')
    swarm.close().then(
      () => {
        json ? out({ event: 'closed' }) : note('peerweave: closed')
        // Then exit, once stdout and stderr are out: @roamhq/wrtc 0.10 sometimes crashes in its
        // native cleanup when Node exits on its own after WebRTC connections existed
        // (node-webrtc issues 7 and 35).
        process.stdout.write('', () => process.stderr.write('', () => process.exit(process.exitCode ?? 0)))
      },
      (err) => {
        failed('close', err)
        process.exitCode = 1
      },
    )
  }
  const offSignals = onStop(stop)
  rl.on('close', () => {
    if (stopping || stay) return
    void Promise.allSettled(sending).then(stop)
  })
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  try {
    if (command === 'join') return await join(rest)
    if (command === 'tracker') return await tracker(rest)
    if (command === 'help' || command === '--help' || command === '-h') return void console.log(USAGE)
    throw new UsageError(command === undefined ? 'missing command' : `unknown command '${command}'`)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    console.error(`peerweave: ${err.message}\n\n${USAGE}`)
    process.exitCode = 2
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`peerweave: ${(err as Error)?.stack ?? String(err)}`)
  process.exitCode = 1
})
