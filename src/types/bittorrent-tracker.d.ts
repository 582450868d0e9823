// The little of bittorrent-tracker's Server peerweave uses (the package ships no types).
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events'
  export class Server extends EventEmitter {
    constructor(opts: { udp?: boolean; http?: boolean; ws?: boolean; stats?: boolean; trustProxy?: boolean; interval?: number })
    http: { address(): { port: number } | null }
    ws: EventEmitter
    listen(port: number, host: string, cb: () => void): void
    close(cb?: () => void): void
  }
}
