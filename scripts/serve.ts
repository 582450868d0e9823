/**
 * A static file server for the examples and the built bundles (node:http, no
 * dependencies): serves the repository's `examples/` and `dist/` folders and nothing
 * else, so `examples/chat/index.html` can load `../../dist/peerweave.min.js`.
 *
 *   npx tsx scripts/serve.ts [--port 8080] [--host 127.0.0.1] [--tracker]
 *
 * `--tracker` also starts a local WebTorrent tracker and prints the chat page's URL
 * with it. Used by `npm start` (scripts/demo.ts) and the Playwright tests.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
/** Top-level folders that are served; everything else is 404. */
const SERVED = new Set(['examples', 'dist'])

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
}

export interface StaticServer {
  /** Base URL, e.g. http://127.0.0.1:8080 (no trailing slash). */
  url: string
  port: number
  close(): Promise<void>
}

/** Serve `examples/` and `dist/` of this repository (or of `root`) on host:port (port 0 picks one). */
export async function startStaticServer(
  opts: { port?: number; host?: string; root?: string } = {},
): Promise<StaticServer> {
  const root = opts.root ?? ROOT
  const host = opts.host ?? '127.0.0.1'
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    if (path === '/') {
      res.writeHead(302, { location: '/examples/chat/' })
      return void res.end()
    }
    const rel = normalize(path).replace(/^[/\\]+/, '')
    const top = rel.split(sep)[0] ?? ''
    if (!SERVED.has(top) || rel.split(sep).includes('..')) return notFound(res)
    const file = join(root, rel)
    stat(file)
      .then(
        async (st) => {
          const target = st.isDirectory() ? join(file, 'index.html') : file
          if (st.isDirectory() && !path.endsWith('/')) {
            res.writeHead(301, { location: `${path}/` })
            return void res.end()
          }
          const size = st.isDirectory() ? (await stat(target)).size : st.size
          res.writeHead(200, {
            'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
            'content-length': size,
            'cache-control': 'no-store',
          })
          if (req.method === 'HEAD') return void res.end()
          createReadStream(target)
            .on('error', () => res.destroy())
            .pipe(res)
        },
        () => notFound(res),
      )
      .catch(() => notFound(res))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return { url: `http://${host}:${port}`, port, close: () => closeServer(server) }
}

function notFound(res: import('node:http').ServerResponse): void {
  if (res.headersSent) return void res.destroy()
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
  res.end('not found\n')
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** The chat example's URL for a tracker (and optionally a topic). */
export function chatUrl(base: string, trackerUrl: string, topic?: string): string {
  const q = new URLSearchParams({ tracker: trackerUrl, ...(topic ? { topic } : {}) })
  return `${base}/examples/chat/?${q}`
}

async function main(): Promise<void> {
  const { parseArgs } = await import('node:util')
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      tracker: { type: 'boolean' },
    },
  })
  const server = await startStaticServer({ port: Number(values.port), host: values.host })
  console.log(`serving examples/ and dist/ at ${server.url}`)
  let closeTracker = async () => {}
  if (values.tracker) {
    const { startTracker } = await import('../src/tracker-server.js')
    const tracker = await startTracker({ host: values.host, intervalMs: 2000 })
    closeTracker = tracker.close
    console.log(`tracker: ${tracker.url}`)
    console.log(`chat: ${chatUrl(server.url, tracker.url)}`)
  }
  process.once('SIGINT', () => void Promise.all([server.close(), closeTracker()]))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  main().catch((err) => {
    console.error(`serve failed: ${(err as Error)?.stack ?? String(err)}`)
    process.exitCode = 1
  })
}
