import { PeerweaveError } from '../core/errors.js'
import type { PeerBook } from './peer-book.js'
import type { PeerStore, StoredPeer } from './types.js'

/**
 * Keeps a {@link PeerStore} in step with a {@link PeerBook}: loads it once, then
 * saves after link changes (debounced, so a burst of changes is one write) and on
 * close. Never saves before the load finished, so a slow disk cannot make a fresh
 * start overwrite what was remembered. Store trouble is a warning (ERR_STORAGE).
 */
export class StoreSync {
  private loaded: Promise<void> | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private dirty?: boolean
  private saving: Promise<void> = Promise.resolve()
  private closed?: boolean

  constructor(
    private readonly store: PeerStore,
    private readonly book: PeerBook,
    private readonly warn: (err: PeerweaveError) => void,
    /** Wait this long after a change before writing. */
    private readonly debounceMs = 2000,
  ) {}

  /** Load the store into the book; resolves with the entries taken (empty when the store failed). */
  async load(): Promise<StoredPeer[]> {
    let taken: StoredPeer[] = []
    const run = async () => {
      try {
        taken = this.book.load(await this.store.load())
      } catch (err) {
        this.warn(storageError(err, 'could not load the peer store'))
      }
    }
    this.loaded ??= run()
    await this.loaded
    return taken
  }

  /** Something worth remembering changed: save soon. */
  changed(): void {
    if (this.closed) return
    this.dirty = true
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, this.debounceMs)
    // A pending save alone must not keep a Node process alive (close() saves anyway).
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /** Save now if anything changed. Resolves when written (or failed, with a warning). */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    const run = async () => {
      await (this.loaded ?? Promise.resolve())
      if (!this.dirty) return
      this.dirty = false
      try {
        await this.store.save(this.book.entries())
      } catch (err) {
        this.warn(storageError(err, 'could not save the peer store'))
      }
    }
    this.saving = this.saving.then(run)
    return this.saving
  }

  /** Final save; later changes are ignored. */
  async close(): Promise<void> {
    if (this.closed) return this.saving
    const done = this.flush()
    this.closed = true
    await done
  }
}

function storageError(err: unknown, message: string): PeerweaveError {
  if (err instanceof PeerweaveError && err.code === 'ERR_STORAGE') return err
  return new PeerweaveError('ERR_STORAGE', message, { cause: err })
}
