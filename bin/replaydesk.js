#!/usr/bin/env node
// The `replaydesk` command: runs the built CLI (`npm run build` makes it; `npm install` too).
import { existsSync } from 'node:fs'

const cli = new URL('../out/main/cli.js', import.meta.url)
if (!existsSync(cli)) {
  process.stderr.write('replaydesk: not built yet; run `npm run build` in the Replaydesk folder\n')
  process.exit(1)
}
await import(cli.href)
