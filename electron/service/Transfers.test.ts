import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import pino from 'pino'
import type { TransferJob } from '../../shared/api'
import { ApiError } from '../../shared/api'
import { batchSchema } from '../../shared/batchSchema'
import { buildIndex } from '../index/buildIndex'
import { SessionIndex } from '../index/SessionIndex'
import { Store } from '../store/Store'
import { makeBatch } from '../testing/makeBatch'
import { Transfers } from './Transfers'

const T = 1_764_000_000_000

interface Library {
  dir: string
  store: Store
  index: SessionIndex
  transfers: Transfers
}

const libraries: Library[] = []

async function openLibrary(readOnly = false): Promise<Library> {
  const dir = mkdtempSync(join(tmpdir(), 'replaydesk-transfers-'))
  const store = Store.open(dir)
  const index = new SessionIndex({ titlesOf: (id) => store.pageTitles(id) })
  await buildIndex(store, index).done
  const transfers = new Transfers({
    dataDir: dir,
    store,
    index,
    readOnly,
    appVersion: '0.0.0-test',
    logger: pino({ level: 'silent' }),
  })
  const library = { dir, store, index, transfers }
  libraries.push(library)
  return library
}

function record(library: Library, sid: string, plan: string, seq = 0): void {
  const input = makeBatch({ sid, seq, commands: [{ op: 'tag', t: T, value: { plan } }] })
  const batch = batchSchema.parse(input)
  library.store.ingest(batch, gzipSync(JSON.stringify(input)))
  library.index.upsert(library.store.getSummary(sid)!)
}

async function finished(library: Library, started: TransferJob): Promise<TransferJob> {
  for (;;) {
    const job = library.transfers.get(started.id)
    if (job.state !== 'running') return job
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function exportTo(library: Library, selection: { query: string } | { ids: string[] }) {
  const file = join(library.dir, `export-${libraries.length}.replaydesk`)
  const job = await finished(library, library.transfers.startExport(selection, file))
  return { job, file }
}

let source: Library
let target: Library

beforeEach(async () => {
  source = await openLibrary()
  target = await openLibrary()
  record(source, 'session-a', 'pro')
  record(source, 'session-b', 'free')
  record(source, 'session-c', 'pro')
})

afterEach(async () => {
  for (const library of libraries.splice(0)) {
    await library.transfers.stop()
    library.store.close()
    rmSync(library.dir, { recursive: true, force: true })
  }
})

describe('Transfers', () => {
  it('exports a query’s results and imports them into a running library', async () => {
    const { job, file } = await exportTo(source, { query: 'plan:pro' })
    expect(job.state).toBe('done')
    expect(job.exported).toMatchObject({ sessions: 2, chunks: 2 })
    expect(job.progress).toEqual({ done: 2, total: 2 })

    const imported = await finished(
      target,
      target.transfers.startImport([{ path: file, name: 'pro.replaydesk' }]),
    )
    expect(imported.state).toBe('done')
    expect(imported.message).toBe('Imported 2 sessions (2 new)')
    expect(imported.imported).toEqual([
      { name: 'pro.replaydesk', sessions: 2, added: 2, chunks: 2, assets: 0, error: null },
    ])
    // The index knows them at once: the UI finds them without a restart.
    expect(target.index.search('plan:pro').map((s) => s.id)).toEqual(
      source.index.search('plan:pro').map((s) => s.id),
    )
  })

  it('keeps recording while an import runs, and the import adds to what arrives', async () => {
    const { file } = await exportTo(source, { ids: ['session-a'] })
    record(target, 'session-a', 'pro', 1)
    const started = target.transfers.startImport([{ path: file, name: 'a.replaydesk' }])
    record(target, 'session-live', 'team')
    const job = await finished(target, started)

    expect(job.imported[0]).toMatchObject({ sessions: 1, added: 0, error: null })
    expect(target.store.getSummary('session-a')!.events).toBe(
      source.store.getSummary('session-a')!.events * 2,
    )
    expect(target.index.search('plan:team')).toHaveLength(1)
  })

  it('refuses a damaged file in its own line and imports the others', async () => {
    const { file } = await exportTo(source, { query: '' })
    const damaged = join(source.dir, 'damaged.replaydesk')
    writeFileSync(damaged, readFileSync(file).subarray(0, 3000))

    const mixed = await finished(
      target,
      target.transfers.startImport([
        { path: damaged, name: 'damaged.replaydesk' },
        { path: file, name: 'all.replaydesk' },
      ]),
    )
    expect(mixed.state).toBe('done')
    expect(mixed.message).toBe('Imported 3 sessions (3 new); 1 file refused')
    expect(mixed.imported[0]!.error).toMatch(/damaged|truncated/)
    expect(mixed.progress.done).toBe(mixed.progress.total)

    const refused = await finished(
      target,
      target.transfers.startImport([{ path: damaged, name: 'damaged.replaydesk' }]),
    )
    expect(refused.state).toBe('failed')
    expect(target.index.size).toBe(3)
  })

  it('removes an uploaded copy once it is read, imported or not', async () => {
    const { file } = await exportTo(source, { query: '' })
    const upload = target.transfers.scratchFile('.upload')
    writeFileSync(upload, readFileSync(file))
    await finished(
      target,
      target.transfers.startImport([{ path: upload, name: 'up.replaydesk', temporary: true }]),
    )
    await target.transfers.stop()
    expect(() => readFileSync(upload)).toThrow(/ENOENT/)
  })

  it('says what is wrong with an export or import it cannot start', async () => {
    expect(() => source.transfers.startExport({ query: 'plan:(' })).toThrow(ApiError)
    expect(() => source.transfers.startExport(null as never)).toThrow('export takes { ids }')
    expect(() => source.transfers.startExport({ ids: ['no-such-session'] })).toThrow(
      'no sessions to export',
    )
    expect(() => source.transfers.get('unknown')).toThrow(/no export or import/)

    const view = await openLibrary(true)
    expect(() => view.transfers.startImport([{ path: '/x', name: 'x.replaydesk' }])).toThrow(
      /read-only/,
    )
  })

  it('offers an export without a file for download until the back end stops', async () => {
    const started = source.transfers.startExport(
      { ids: ['session-b'] },
      undefined,
      (id) => `/d/${id}`,
    )
    const job = await finished(source, started)
    expect(job.downloadUrl).toBe(`/d/${job.id}`)
    const download = source.transfers.download(job.id)!
    expect(download.name).toMatch(/^replaydesk-.*\.replaydesk$/)
    expect(readFileSync(download.path).length).toBeGreaterThan(0)

    await source.transfers.stop()
    expect(() => readFileSync(download.path)).toThrow(/ENOENT/)
  })
})
