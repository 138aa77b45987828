// Preloaded into a benchmarked command: prints its peak resident memory on exit.
process.on('exit', () => {
  require('node:fs').writeSync(2, `maxRssKB ${process.resourceUsage().maxRSS}\n`)
})
