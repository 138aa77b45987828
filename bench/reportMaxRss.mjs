// Preloaded into a benchmarked command (`node --import`): prints its peak memory on exit.
import { writeSync } from 'node:fs'

process.on('exit', () => writeSync(2, `maxRssKB ${process.resourceUsage().maxRSS}\n`))
