/** The snippet's size as served, next to rrweb's recorder alone. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { printTable } from './table'

export default async function run(): Promise<void> {
  const require = createRequire(import.meta.url)
  const snippet = readFileSync(join(import.meta.dirname, '..', 'out', 'snippet', 'snippet.js'))
  const rrwebDir = dirname(require.resolve('@rrweb/record'))
  const rrweb = readFileSync(join(rrwebDir, 'record.umd.min.cjs'))
  const kb = (n: number) => (n / 1024).toFixed(1)

  printTable(
    ['bundle', 'raw KB', 'gzip KB', 'gzip vs rrweb'],
    [
      [
        'snippet.js (served)',
        kb(snippet.length),
        kb(gzipSync(snippet).length),
        ratio(snippet, rrweb),
      ],
      ['@rrweb/record alone', kb(rrweb.length), kb(gzipSync(rrweb).length), '1.00'],
    ],
  )
}

function ratio(a: Buffer, b: Buffer): string {
  return (gzipSync(a).length / gzipSync(b).length).toFixed(2)
}
