import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { keyFromHex } from '../../src/core/addr-key.js'
import { Neighbour } from '../../src/core/neighbour.js'
import { choosePosition, isTreeLink, MAX_TREE_DIST, samePosition, type TreePosition } from '../../src/core/tree.js'

const addr = (c: string) => c.repeat(40)
const nb = (a: string, tree?: TreePosition) => {
  const n = new Neighbour(keyFromHex(a), 'out', 0)
  n.tree = tree
  return n
}

describe('broadcast tree position', () => {
  test('alone, a peer is its own root', () => {
    assert.deepEqual(choosePosition(addr('5'), []), { root: addr('5'), dist: 0, parent: undefined })
  })

  test('follows the smallest root, then the shortest distance, then the smallest neighbour', () => {
    const self = addr('9')
    const a = nb(addr('a'), { root: addr('1'), dist: 3, parent: addr('c') })
    const b = nb(addr('b'), { root: addr('1'), dist: 1, parent: addr('1') })
    const c = nb(addr('8'), { root: addr('2'), dist: 0, parent: undefined })
    assert.deepEqual(choosePosition(self, [a, b, c]), { root: addr('1'), dist: 2, parent: addr('b') })
    const b2 = nb(addr('7'), { root: addr('1'), dist: 1, parent: addr('1') })
    assert.equal(choosePosition(self, [a, b, b2]).parent, addr('7'))
  })

  test('a neighbour that follows us is never our parent, and a root too far away counts as gone', () => {
    const self = addr('9')
    const child = nb(addr('a'), { root: addr('1'), dist: 2, parent: self })
    assert.deepEqual(choosePosition(self, [child]), { root: self, dist: 0, parent: undefined })
    const far = nb(addr('b'), { root: addr('1'), dist: MAX_TREE_DIST, parent: addr('c') })
    assert.equal(choosePosition(self, [far]).root, self)
  })

  test('tree links are the parent and the neighbours that follow us', () => {
    const self = addr('9')
    const parent = nb(addr('1'), { root: addr('1'), dist: 0, parent: undefined })
    const child = nb(addr('a'), { root: addr('1'), dist: 2, parent: self })
    const other = nb(addr('b'), { root: addr('1'), dist: 2, parent: addr('c') })
    const pos = choosePosition(self, [parent, child, other])
    assert.deepEqual(
      [parent, child, other].map((n) => isTreeLink(self, pos, n)),
      [true, true, false],
    )
    assert.equal(isTreeLink(self, pos, nb(addr('c'))), true, 'a neighbour whose position is unknown gets full messages')
    assert.equal(samePosition(pos, { ...pos }), true)
    assert.equal(samePosition(pos, { ...pos, dist: pos.dist + 1 }), false)
  })

  test('a neighbour that follows another root gets full messages (the tree is still settling)', () => {
    // Two peers just linked: each still follows itself. The smaller one is root and the
    // larger one has not said yet that it follows it.
    const self = addr('1')
    const fresh = nb(addr('9'), { root: addr('9'), dist: 0, parent: undefined })
    const pos = choosePosition(self, [fresh])
    assert.deepEqual(pos, { root: self, dist: 0, parent: undefined })
    assert.equal(isTreeLink(self, pos, fresh), true)
    // Once it follows our root (through someone else), the link is lazy again.
    const settled = nb(addr('9'), { root: self, dist: 2, parent: addr('5') })
    assert.equal(isTreeLink(self, pos, settled), false)
  })
})
