import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { decodeStore, encodeStore, type PeerStore, type StoredPeer } from './types.js'

/**
 * Node backend of the peer store: one JSON file per swarm in a directory (the
 * `storage` option), `peerweave-peers-<identifier>.json`. Writes go to a temporary
 * file that is renamed over the old one, so a crash mid-write never leaves half a
 * file; saves are serialised, so the last one wins.
 *
 * @example
 * const store = FilePeerStore.inDirectory('/var/lib/my-app', swarm.identifier)
 */
export class FilePeerStore implements PeerStore {
  private writing: Promise<void> = Promise.resolve()
  private seq = 0

  constructor(readonly path: string) {}

  /** The store of swarm `identifier` in directory `dir`. */
  static inDirectory(dir: string, identifier: string): FilePeerStore {
    return new FilePeerStore(join(dir, `peerweave-peers-${identifier}.json`))
  }

  async load(): Promise<StoredPeer[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      // No file yet: nothing remembered. Anything else (permissions, a directory) is the caller's to hear.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    return decodeStore(text)
  }

  save(entries: StoredPeer[]): Promise<void> {
    const text = encodeStore(entries, Date.now())
    const run = async () => {
      await mkdir(dirname(this.path), { recursive: true })
      const tmp = `${this.path}.${process.pid}.${++this.seq}.tmp`
      try {
        await writeFile(tmp, text, { mode: 0o600 })
        await rename(tmp, this.path)
      } catch (err) {
        await unlink(tmp).catch(() => undefined)
        throw err
      }
    }
    const next = this.writing.then(run, run)
    this.writing = next.catch(() => undefined)
    return next
  }
}
