/**
 * A local WebTorrent (websocket) tracker for demos and tests: bittorrent-tracker's
 * own Server with only the websocket part on. Node only.
 */
import { Server } from 'bittorrent-tracker'

export interface LocalTracker {
  url: string
  port: number
  close(): Promise<void>
}

export async function startTracker(opts: { port?: number; host?: string; intervalMs?: number } = {}): Promise<LocalTracker> {
  const host = opts.host ?? '127.0.0.1'
  const server = new Server({ udp: false, http: false, ws: true, stats: false, interval: opts.intervalMs ?? 30_000 })
  // Protocol mistakes of clients are the server's warnings, never a crash of the process.
  server.on('warning', () => {})
  server.on('error', () => {})
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve))
  const port = server.http.address()?.port ?? 0
  return {
    url: `ws://${host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
