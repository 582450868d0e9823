#!/usr/bin/env node
// The `peerweave` command. Until the build (dist/) lands, it runs the TypeScript
// sources through tsx's loader.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli.ts')
