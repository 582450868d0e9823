import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import fc from 'fast-check'
import { PeerweaveError } from '../../src/core/errors.js'
import { type LinkStats, zeroLinkStats } from '../../src/core/neighbour.js'
import { FilePeerStore } from '../../src/store/file-store.js'
import { PeerBook } from '../../src/store/peer-book.js'
import { StoreSync } from '../../src/store/sync.js'
import { decodeStore, encodeStore, MemoryPeerStore, type PeerStore, type StoredPeer } from '../../src/store/types.js'
import { browserPeerStore, WebStoragePeerStore } from '../../src/store/web-storage.js'
import { checkSwarmOptions } from '../../src/swarm/options.js'

const addr = (i: number) => i.toString(16).padStart(40, '0')
const isCode = (code: string) => (e: unknown) => e instanceof PeerweaveError && e.code === code
const live = (): LinkStats => zeroLinkStats()

const storedPeer = fc.record({
  address: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex')),
  bridgeUrl: fc.option(
    fc.integer({ min: 1, max: 65535 }).map((p) => `ws://127.0.0.1:${p}`),
    { nil: undefined },
  ),
  lastSeenAt: fc.nat(),
  failures: fc.nat({ max: 10 }),
  linksMade: fc.nat(),
  linksFailed: fc.nat(),
})

describe('store format', () => {
  test('encode then decode gives the entries back (property)', () => {
    fc.assert(
      fc.property(fc.array(storedPeer, { maxLength: 30 }), (peers) => {
        const back = decodeStore(encodeStore(peers as StoredPeer[], 1))
        // A missing bridge URL is stored as no field at all.
        const expected = peers.map(({ bridgeUrl, ...rest }) => (bridgeUrl ? { ...rest, bridgeUrl } : rest))
        assert.deepEqual(back, expected)
      }),
    )
  })

  test('damaged entries are dropped, the good ones kept', () => {
    const text = JSON.stringify({
      version: 1,
      savedAt: 5,
      peers: [
        { address: addr(1), bridgeUrl: 'ws://127.0.0.1:1', lastSeenAt: 3, failures: 0, linksMade: 2, linksFailed: 1 },
        { address: 'not hex', lastSeenAt: 1 },
        null,
        { address: addr(2), bridgeUrl: 'http://wrong.scheme', lastSeenAt: -1, failures: 'x', linksMade: 1.5 },
      ],
    })
    assert.deepEqual(decodeStore(text), [
      { address: addr(1), bridgeUrl: 'ws://127.0.0.1:1', lastSeenAt: 3, failures: 0, linksMade: 2, linksFailed: 1 },
      { address: addr(2), lastSeenAt: 0, failures: 0, linksMade: 0, linksFailed: 0 },
    ])
  })

  test('not JSON, or not a version 1 document: ERR_STORAGE', () => {
    assert.throws(() => decodeStore('{"version":1,'), isCode('ERR_STORAGE'))
    assert.throws(() => decodeStore('{"version":2,"peers":[]}'), isCode('ERR_STORAGE'))
    assert.throws(() => decodeStore('[]'), isCode('ERR_STORAGE'))
  })
})

describe('PeerBook', () => {
  test("counts links made and failed, folds each link's counters into totals", () => {
    const book = new PeerBook()
    const s1 = live()
    book.linkUp(addr(1), 'ws://127.0.0.1:9', s1, 100)
    s1.messagesIn = 3
    s1.bytesIn = 30
    let st = book.stats(150)[0]!
    assert.equal(st.connected, true)
    assert.equal(st.messagesIn, 3)
    assert.equal(st.lastSeenAt, 150)
    book.linkDown(addr(1), 200)
    const s2 = live()
    book.linkUp(addr(1), undefined, s2, 300)
    s2.messagesOut = 4
    book.failed(addr(1))
    st = book.stats(400)[0]!
    assert.deepEqual(
      {
        linksMade: st.linksMade,
        linksFailed: st.linksFailed,
        in: st.messagesIn,
        out: st.messagesOut,
        bytes: st.bytesIn,
        url: st.bridgeUrl,
      },
      { linksMade: 2, linksFailed: 1, in: 3, out: 4, bytes: 30, url: 'ws://127.0.0.1:9' },
    )
    book.linkDown(addr(1), 500)
    assert.equal(book.stats(600)[0]!.lastSeenAt, 500)
  })

  test('a peer that keeps failing is forgotten; a success resets the count', () => {
    const book = new PeerBook({ maxFailures: 3 })
    book.linkUp(addr(1), 'ws://127.0.0.1:9', live(), 1)
    book.linkDown(addr(1), 2)
    book.failed(addr(1))
    book.failed(addr(1))
    book.linkUp(addr(1), undefined, live(), 3)
    book.linkDown(addr(1), 4)
    book.failed(addr(1))
    book.failed(addr(1))
    assert.ok(book.get(addr(1)))
    book.failed(addr(1))
    assert.equal(book.get(addr(1)), undefined)
    assert.deepEqual(book.entries(), [])
  })

  test('bounded: the peer seen longest ago goes first; linked peers and met peers are protected from strangers', () => {
    const book = new PeerBook({ maxEntries: 4 })
    for (let i = 0; i < 4; i++) {
      book.linkUp(addr(i), `ws://127.0.0.1:${1000 + i}`, live(), 10 + i)
      if (i > 0) book.linkDown(addr(i), 20 + i)
    }
    // A flood of failures for addresses never met cannot push out peers we linked with.
    for (let i = 100; i < 200; i++) book.failed(addr(i))
    assert.equal(book.size, 4)
    // A new real link pushes out the unlinked peer seen longest ago (peer 1), never the linked peer 0.
    book.linkUp(addr(50), undefined, live(), 30)
    assert.equal(book.size, 4)
    assert.equal(book.get(addr(1)), undefined)
    assert.ok(book.get(addr(0)))
    assert.deepEqual(
      book.entries().map((e) => e.address),
      [addr(50), addr(3), addr(2), addr(0)],
    )
  })

  test('load merges stored entries, most recent first, skipping dead ones and what is already known', () => {
    const book = new PeerBook({ maxEntries: 3, maxFailures: 5 })
    book.linkUp(addr(1), 'ws://127.0.0.1:1', live(), 100)
    const taken = book.load([
      { address: addr(1), bridgeUrl: 'ws://127.0.0.1:999', lastSeenAt: 50, failures: 0, linksMade: 9, linksFailed: 0 },
      { address: addr(2), lastSeenAt: 10, failures: 0, linksMade: 1, linksFailed: 0 },
      { address: addr(3), lastSeenAt: 30, failures: 5, linksMade: 1, linksFailed: 5 },
      { address: addr(4), lastSeenAt: 20, failures: 1, linksMade: 1, linksFailed: 1 },
      { address: addr(5), lastSeenAt: 5, failures: 0, linksMade: 1, linksFailed: 0 },
    ])
    assert.deepEqual(
      taken.map((e) => e.address),
      [addr(4), addr(2)],
    )
    assert.equal(book.get(addr(1))!.bridgeUrl, 'ws://127.0.0.1:1')
    assert.equal(book.size, 3)
  })
})

describe('backends', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peerweave-unit-store-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const peers: StoredPeer[] = [
    {
      address: addr(7),
      bridgeUrl: 'wss://peer.example:443/x',
      lastSeenAt: 7,
      failures: 1,
      linksMade: 3,
      linksFailed: 1,
    },
    { address: addr(8), lastSeenAt: 8, failures: 0, linksMade: 1, linksFailed: 0 },
  ]

  test('file: nothing yet is empty; saves atomically into a created directory; the last save wins', async () => {
    const store = FilePeerStore.inDirectory(join(dir, 'deeper', 'still'), 'ab'.repeat(20))
    assert.deepEqual(await store.load(), [])
    await Promise.all([store.save([peers[1]!]), store.save(peers)])
    assert.deepEqual(await store.load(), peers)
    assert.match(store.path, /peerweave-peers-(ab){20}\.json$/)
    const doc = JSON.parse(readFileSync(store.path, 'utf8'))
    assert.equal(doc.version, 1)
    assert.ok(readdirSync(join(dir, 'deeper', 'still')).every((f) => !f.endsWith('.tmp')))
  })

  test('file: a corrupt file rejects ERR_STORAGE', async () => {
    const store = new FilePeerStore(join(dir, 'corrupt.json'))
    writeFileSync(store.path, '{"version":1,"peers":[')
    await assert.rejects(store.load(), isCode('ERR_STORAGE'))
  })

  test('localStorage: one key per swarm, same document; no localStorage means no store', async () => {
    const map = new Map<string, string>()
    const storage = {
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
    }
    const store = new WebStoragePeerStore(storage, 'app:peers:cafe')
    assert.deepEqual(await store.load(), [])
    await store.save(peers)
    assert.deepEqual(await store.load(), peers)
    assert.deepEqual(decodeStore(map.get('app:peers:cafe')!), peers)
    assert.equal(browserPeerStore('app', 'cafe'), undefined, 'Node has no localStorage')
  })
})

describe('StoreSync', () => {
  /** A store whose load resolves only when told to, recording saves. */
  function slowStore(initial: StoredPeer[]) {
    let release: () => void = () => {}
    const saves: StoredPeer[][] = []
    const store: PeerStore = {
      load: () => new Promise((r) => (release = () => r(initial))),
      save: async (e) => void saves.push(e),
    }
    return { store, saves, release: () => release() }
  }

  test('never saves before the load finished, so a fresh start cannot overwrite the store', async () => {
    const stored: StoredPeer = {
      address: addr(9),
      bridgeUrl: 'ws://127.0.0.1:9',
      lastSeenAt: 1,
      failures: 0,
      linksMade: 1,
      linksFailed: 0,
    }
    const { store, saves, release } = slowStore([stored])
    const book = new PeerBook()
    const sync = new StoreSync(store, book, () => assert.fail('no warning expected'), 5)
    const loading = sync.load()
    book.linkUp(addr(1), undefined, live(), 10)
    sync.changed()
    const flushing = sync.flush()
    await new Promise((r) => setImmediate(r))
    assert.equal(saves.length, 0)
    release()
    assert.deepEqual(await loading, [stored])
    await flushing
    assert.deepEqual(
      saves.at(-1)!.map((e) => e.address),
      [addr(1), addr(9)],
    )
  })

  test('changes are saved once after the debounce; close saves what is left and stops', async () => {
    const store = new MemoryPeerStore()
    let saves = 0
    const counting: PeerStore = {
      load: () => store.load(),
      save: (e) => {
        saves++
        return store.save(e)
      },
    }
    const book = new PeerBook()
    const sync = new StoreSync(counting, book, () => {}, 20)
    await sync.load()
    for (let i = 0; i < 5; i++) {
      book.linkUp(addr(i), undefined, live(), i)
      sync.changed()
    }
    await sync.flush()
    assert.equal(saves, 1)
    book.linkUp(addr(10), undefined, live(), 10)
    sync.changed()
    await sync.close()
    assert.equal(saves, 2)
    assert.equal((await store.load()).length, 6)
    sync.changed()
    await sync.flush()
    assert.equal(saves, 2)
  })

  test('a failing backend is a warning (ERR_STORAGE), never a throw', async () => {
    const warnings: PeerweaveError[] = []
    const broken: PeerStore = {
      load: async () => {
        throw new Error('disk on fire')
      },
      save: async () => {
        throw new Error('still on fire')
      },
    }
    const book = new PeerBook()
    const sync = new StoreSync(broken, book, (e) => warnings.push(e), 1)
    assert.deepEqual(await sync.load(), [])
    book.linkUp(addr(1), undefined, live(), 1)
    sync.changed()
    await sync.close()
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['ERR_STORAGE', 'ERR_STORAGE'],
    )
  })
})

describe('storage options', () => {
  test('storage must be a non-empty string; peerStore must have load and save', () => {
    assert.throws(() => checkSwarmOptions('t', { storage: '' }), isCode('ERR_INVALID_ARG'))
    assert.throws(() => checkSwarmOptions('t', { storage: 5 as unknown as string }), /storage must be/)
    assert.throws(
      () => checkSwarmOptions('t', { peerStore: { load: async () => [] } as unknown as PeerStore }),
      /peerStore must be/,
    )
    checkSwarmOptions('t', { storage: '/tmp/x', peerStore: new MemoryPeerStore() })
  })
})
