/**
 * CDN entry (`dist/peerweave.min.js`, an IIFE): puts the browser entry's exports on
 * `globalThis.peerweave`, so a plain `<script src>` gives `peerweave.Swarm`.
 * This is the one file with an import-time effect, and only the IIFE bundle runs it.
 */
import * as peerweave from './index.js'

;(globalThis as { peerweave?: typeof peerweave }).peerweave = peerweave
