/**
 * Bundles: export and import throughput of `replaydesk export` / `import` as a user runs
 * them, against `tar` + `gzip` of the same store in the same run, and export's peak memory.
 * Size: REPLAYDESK_BENCH_BUNDLE_MB (default 256) of stored event chunks; 1024 or more shows
 * that export memory stays flat.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { batchSchema } from '../shared/batchSchema'
import { Store } from '../electron/store/Store'
import { printTable } from './table'

const TARGET_MB = Number(process.env.REPLAYDESK_BENCH_BUNDLE_MB ?? 256)
const root = join(import.meta.dirname, '..')

export default async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'replaydesk-bench-bundle-'))
  try {
    const source = join(work, 'source')
    const stored = fill(source, TARGET_MB * 1024 * 1024)
    const mb = stored / 1024 / 1024
    const bundle = join(work, 'all.replaydesk')

    const exported = timed('node', [
      '--import',
      join(import.meta.dirname, 'reportMaxRss.mjs'),
      join(root, 'bin', 'replaydesk.js'),
      'export',
      '--data',
      source,
      '--out',
      bundle,
    ])
    const target = join(work, 'target')
    spawnSync('mkdir', [target])
    const imported = timed('node', [
      join(root, 'bin', 'replaydesk.js'),
      'import',
      '--data',
      target,
      bundle,
    ])
    const tarball = join(work, 'baseline.tar.gz')
    const tarred = timed('sh', ['-c', `tar -cf - -C ${source} . | gzip -1 > ${tarball}`])
    const untarget = join(work, 'untar')
    spawnSync('mkdir', [untarget])
    const untarred = timed('sh', ['-c', `gzip -dc ${tarball} | tar -xf - -C ${untarget}`])

    const rate = (seconds: number) => (mb / seconds).toFixed(1)
    process.stdout.write(
      `${mb.toFixed(0)} MB of stored events; bundle ${(statSync(bundle).size / 1048576).toFixed(0)} MB\n\n`,
    )
    printTable(
      ['operation', 'seconds', 'MB/s', 'vs tar+gzip'],
      [
        [
          'replaydesk export',
          exported.seconds.toFixed(2),
          rate(exported.seconds),
          (tarred.seconds / exported.seconds).toFixed(2),
        ],
        ['tar -c | gzip -1', tarred.seconds.toFixed(2), rate(tarred.seconds), '1.00'],
        [
          'replaydesk import',
          imported.seconds.toFixed(2),
          rate(imported.seconds),
          (untarred.seconds / imported.seconds).toFixed(2),
        ],
        ['gzip -d | tar -x', untarred.seconds.toFixed(2), rate(untarred.seconds), '1.00'],
      ],
    )
    const peak = /maxRssKB (\d+)/.exec(exported.stderr)?.[1]
    process.stdout.write(`\nexport peak memory: ${(Number(peak) / 1024).toFixed(0)} MB RSS\n`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Fills a real store with sessions of realistic-looking batches; returns bytes stored. */
function fill(dir: string, bytes: number): number {
  spawnSync('mkdir', ['-p', dir])
  const store = Store.open(dir)
  const text = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '
  let stored = 0
  for (let s = 0; stored < bytes; s++) {
    const sid = `bench-session-${String(s).padStart(6, '0')}`
    for (let seq = 0; seq < 20 && stored < bytes; seq++) {
      const t0 = 1_764_000_000_000 + s * 600_000 + seq * 5000
      const events = Array.from({ length: 400 }, (_, i) => ({
        type: 3,
        timestamp: t0 + i,
        data: { source: 0, texts: [{ id: i, value: `${text}${s}-${seq}-${i}-${Math.random()}` }] },
      }))
      const input = { v: 1, sid, tab: 'bench-tab', page: 'bench-page', seq, commands: [], events }
      const body = gzipSync(JSON.stringify(input))
      store.ingest(batchSchema.parse(input), body)
      stored += body.length
    }
  }
  store.close()
  return stored
}

function timed(command: string, args: string[]): { seconds: number; stderr: string } {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`)
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, stderr: result.stderr }
}
