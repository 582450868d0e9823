/**
 * The browser bundles rename the properties listed in scripts/internal-members.mjs. A
 * public name in that list breaks silently in browsers only: an option the bundle no
 * longer reads, a stats field under a two-letter key. This walks the published
 * declarations (run `npm run build` first) from the package's exports through every
 * interface and class they name, collects the members a user can touch (not private or
 * protected), and fails on any of them in the list.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { INTERNAL_MEMBERS } from '../../scripts/internal-members.mjs'

const types = fileURLToPath(new URL('../../dist/types/', import.meta.url))

interface Declaration {
  file: string
  /** Declaration text from its opening brace to its closing one. */
  body: string
}

/** Every `interface X {…}` and `class X … {…}` in the declarations, by name. */
function declarations(): Map<string, Declaration[]> {
  const out = new Map<string, Declaration[]>()
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.d.ts')) {
        const text = readFileSync(path, 'utf8')
        const head = /^(?:export )?(?:declare )?(?:abstract )?(?:interface|class) (\w+)[^{]*\{$/gm
        for (let m = head.exec(text); m; m = head.exec(text)) {
          const end = text.indexOf('\n}', m.index)
          const list = out.get(m[1]!) ?? []
          list.push({ file: relative(types, path), body: text.slice(m.index + m[0].length, end) })
          out.set(m[1]!, list)
        }
      }
    }
  }
  walk(types)
  return out
}

/** Names exported by the package's entries (index.d.ts, node.d.ts). */
function exportedNames(): string[] {
  const names: string[] = []
  for (const entry of ['index.d.ts', 'node.d.ts']) {
    const text = readFileSync(join(types, entry), 'utf8')
    for (const m of text.matchAll(/export (?:type )?\{([^}]*)\}/g))
      for (const part of m[1]!.split(',')) {
        const name = part.trim().replace(/^type /, '').split(/\s+as\s+/).pop()
        if (name) names.push(name)
      }
    for (const m of text.matchAll(/export (?:declare )?(?:class|interface|type|function|const) (\w+)/g)) names.push(m[1]!)
  }
  return names
}

/** Members a user can reach: from the exports, through every declared type their members name. */
function publicMembers(): Map<string, string> {
  const decls = declarations()
  const members = new Map<string, string>()
  const seen = new Set<string>()
  const queue = exportedNames()
  while (queue.length > 0) {
    const name = queue.pop()!
    if (seen.has(name)) continue
    seen.add(name)
    for (const d of decls.get(name) ?? []) {
      for (const line of d.body.split('\n')) {
        if (/^\s+(private|protected)\b/.test(line)) continue
        const m = /^\s+(?:readonly\s+|static\s+|get\s+|set\s+)*([A-Za-z_$][\w$]*)\??\s*[:(<]/.exec(line)
        if (!m) continue
        members.set(m[1]!, `${name} (${d.file})`)
        // Types this member names are public too (SwarmOptions.mesh: Partial<NodeOptions>).
        for (const t of line.slice(m[0].length).matchAll(/\b([A-Z]\w*)\b/g)) queue.push(t[1]!)
      }
      // And what it extends.
      const ext = /(?:extends|implements)\s+([^{]*)/.exec(d.body.split('\n')[0] ?? '')
      if (ext) for (const t of ext[1]!.matchAll(/\b([A-Z]\w*)\b/g)) queue.push(t[1]!)
    }
  }
  return members
}

test('no public property or option is among the names the browser bundles rename', () => {
  const members = publicMembers()
  // The walk must reach the API it guards (a broken walk would pass anything).
  for (const name of ['send', 'maxPeers', 'nearLinks', 'lastHeardAt', 'reply', 'trackerIntervalMs'])
    assert.ok(members.has(name), `the walk did not reach '${name}'`)
  const renamed = INTERNAL_MEMBERS.filter((n: string) => members.has(n)).map((n: string) => `${n} in ${members.get(n)}`)
  assert.deepEqual(renamed, [], `public names renamed in the browser bundles: ${renamed.join(', ')}`)
})
