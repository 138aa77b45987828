/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or those named on the command line) one
 * after the other, each printing its figures next to a baseline measured in the same run.
 * Figures on a shared 2-core machine are noisy: compare ratios, not absolute times.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const wanted = process.argv.slice(2)
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort()

for (const file of files) {
  process.stdout.write(`\n## ${file.replace('.bench.ts', '')}\n\n`)
  const bench = (await import(pathToFileURL(join(import.meta.dirname, file)).href)) as {
    default: () => Promise<void>
  }
  await bench.default()
}
