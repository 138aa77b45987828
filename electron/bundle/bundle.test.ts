import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { pack } from 'tar-stream'
import { batchSchema } from '../../shared/batchSchema'
import type { BatchInput } from '../../shared/wire'
import { makeBatch } from '../testing/makeBatch'
import { Store } from '../store/Store'
import { BUNDLE_FORMAT, BUNDLE_VERSION, MANIFEST_ENTRY } from './bundleFormat'
import { BundleError, importBundle } from './readBundle'
import { writeBundle } from './writeBundle'

const T = 1_764_000_000_000
let dir: string
let source: Store
let target: Store

function ingest(store: Store, input: BatchInput): void {
  store.ingest(batchSchema.parse(input), gzipSync(JSON.stringify(input)))
}

/** Two sessions: one over two pages with tags, an identity and an error; one bare. */
function record(store: Store): void {
  ingest(
    store,
    makeBatch({
      commands: [
        { op: 'identify', t: T, value: 'ann@example.com' },
        { op: 'tag', t: T + 1, value: { plan: 'pro', points: 42 } },
        { op: 'tag', t: T + 2, value: 'viewed checkout' },
      ],
    }),
  )
  const second = makeBatch({ page: 'page-000002' }, T + 60_000)
  second.events.push({
    type: 5,
    timestamp: T + 60_010,
    data: { tag: 'replaydesk.error', payload: { message: 'Boom', source: 'error' } },
  })
  ingest(store, second)
  ingest(store, makeBatch({ sid: 'session-0002' }, T + 120_000))
}

/** Everything a user can see of a store: summaries, details and events. */
function contents(store: Store) {
  return store.listSummaries().map((s) => ({
    detail: store.getDetail(s.id),
    events: JSON.stringify(store.getEvents(s.id)),
  }))
}

function bundleFile(name = 'sessions.replaydesk'): string {
  return join(dir, name)
}

async function exportAll(file = bundleFile()): Promise<string> {
  const ids = source.listSummaries().map((s) => s.id)
  await writeBundle(source, ids, file, { appVersion: '0.1.0', query: '' })
  return file
}

const importInto = (store: Store, file: string) => importBundle(store, file, { stagingParent: dir })

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replaydesk-bundle-'))
  source = Store.open(mkdtempSync(join(dir, 'source-')))
  target = Store.open(mkdtempSync(join(dir, 'target-')))
  record(source)
})

afterEach(() => {
  source.close()
  target.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('bundle export and import', () => {
  it('carries sessions, pages, tags with their times, errors and events unchanged', async () => {
    const file = await exportAll()
    const result = await importInto(target, file)

    expect(result).toMatchObject({ sessions: 2, added: 2, chunks: 3 })
    expect(contents(target)).toEqual(contents(source))
    expect(target.getSummary('session-0001')).toMatchObject({
      identity: 'ann@example.com',
      tags: { plan: 'pro', points: 42 },
      stringTags: ['viewed checkout'],
      errors: ['Boom'],
      pages: 2,
    })
  })

  it('keeps event chunks byte for byte', async () => {
    await importInto(target, await exportAll())
    for (const s of source.listSummaries()) {
      for (const chunk of source.readSessionRecord(s.id)!.chunks) {
        expect(target.readChunkBody(s.id, chunk).equals(source.readChunkBody(s.id, chunk))).toBe(
          true,
        )
      }
    }
  })

  it('adds nothing when the same bundle is imported twice', async () => {
    const file = await exportAll()
    await importInto(target, file)
    const before = contents(target)

    const again = await importInto(target, file)
    expect(again.added).toBe(0)
    expect(contents(target)).toEqual(before)
  })

  it('merges a session that continued after an earlier export', async () => {
    const early = await exportAll(bundleFile('early.replaydesk'))
    ingest(
      source,
      makeBatch(
        {
          page: 'page-000002',
          seq: 1,
          meta: undefined,
          commands: [{ op: 'tag', t: T + 70_000, value: { plan: 'enterprise' } }],
          events: [{ type: 3, timestamp: T + 70_000 }],
        },
        T,
      ),
    )
    const late = await exportAll(bundleFile('late.replaydesk'))

    await importInto(target, late)
    await importInto(target, early)
    expect(contents(target)).toEqual(contents(source))
    expect(target.getSummary('session-0001')!.tags.plan).toBe('enterprise')
  })

  it('leaves no file behind when the export fails', async () => {
    const file = join(dir, 'missing-dir', 'out.replaydesk')
    await expect(
      writeBundle(source, ['session-0001'], file, { appVersion: '0', query: '' }),
    ).rejects.toThrow()
    expect(existsSync(`${file}.partial`)).toBe(false)
  })
})

interface RawEntry {
  name: string
  body: Buffer
  type?: 'file' | 'symlink' | 'directory'
  /** Written into the manifest instead of the real size. */
  listedSize?: number
}

/** Builds a bundle by hand, with an honest manifest unless told otherwise. */
async function craft(entries: RawEntry[], manifest: Record<string, unknown> = {}): Promise<string> {
  const tar = pack()
  const parts: Buffer[] = []
  tar.on('data', (d) => parts.push(d as Buffer))
  const done = new Promise<void>((resolve) => tar.on('end', () => resolve()))

  const listed = entries.map((e) => ({
    name: e.name,
    size: e.listedSize ?? e.body.length,
    sha256: createHash('sha256').update(e.body).digest('hex'),
  }))
  const sessions = entries.filter((e) => e.name.startsWith('sessions/')).length
  const chunks = entries.filter((e) => e.name.startsWith('chunks/')).length
  const body = Buffer.from(
    JSON.stringify({
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_VERSION,
      app: { name: 'replaydesk', version: '0.1.0' },
      createdAt: new Date(T).toISOString(),
      query: '',
      counts: { sessions, chunks, bytes: 0 },
      entries: listed,
      ...manifest,
    }),
  )
  for (const e of [...entries, { name: MANIFEST_ENTRY, body }]) {
    const type = 'type' in e ? e.type : 'file'
    if (type === 'file') tar.entry({ name: e.name, size: e.body.length }, e.body)
    else tar.entry({ name: e.name, type, linkname: '/etc/passwd' }).end(Buffer.alloc(0))
  }
  tar.finalize()
  await done
  const file = bundleFile(`crafted-${Math.random()}.replaydesk`)
  writeFileSync(file, Buffer.concat(parts))
  return file
}

/** The entries of an honest export, to tamper with one at a time. */
async function honestEntries(): Promise<RawEntry[]> {
  const record = source.readSessionRecord('session-0002')!
  const chunk = record.chunks[0]!
  return [
    { name: 'sessions/session-0002.json', body: Buffer.from(JSON.stringify(record)) },
    {
      name: `chunks/session-0002/${chunk.tab_id}/${chunk.page_id}/${chunk.seq}.gz`,
      body: source.readChunkBody('session-0002', chunk),
    },
  ]
}

describe('bundle import refuses a bad bundle and leaves the store as it was', () => {
  beforeEach(async () => {
    await importInto(target, await exportAll())
  })

  async function expectRefused(file: string, reason: RegExp): Promise<void> {
    const before = contents(target)
    const error = await importInto(target, file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BundleError)
    expect((error as Error).message).toMatch(reason)
    expect((error as Error).message).not.toContain('\n')
    expect(contents(target)).toEqual(before)
  }

  it('accepts the crafted honest bundle, so each case below fails for its own flaw', async () => {
    const fresh = Store.open(mkdtempSync(join(dir, 'fresh-')))
    await expect(importInto(fresh, await craft(await honestEntries()))).resolves.toMatchObject({
      sessions: 1,
    })
    fresh.close()
  })

  it('refuses a truncated bundle', async () => {
    const file = await exportAll(bundleFile('whole.replaydesk'))
    const bytes = readFileSync(file)
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)))
    await expectRefused(file, /truncated|damaged/)
  })

  it('refuses a bundle with a flipped byte', async () => {
    const entries = await honestEntries()
    const file = await craft(entries)
    const bytes = readFileSync(file)
    const at = bytes.indexOf(entries[0]!.body.subarray(0, 40)) + 20
    bytes[at] = bytes[at]! ^ 0x01
    writeFileSync(file, bytes)
    await expectRefused(file, /does not match the manifest|not valid JSON|expected form/)
  })

  it('refuses a bundle written by a newer version', async () => {
    await expectRefused(
      await craft(await honestEntries(), { formatVersion: 99 }),
      /newer Replaydesk/,
    )
  })

  it('refuses a file that is not a bundle', async () => {
    const file = bundleFile('notes.replaydesk')
    writeFileSync(file, 'just some text\n'.repeat(100))
    await expectRefused(file, /damaged or not a bundle/)
  })

  it.each(['../../etc/passwd', 'sessions/../../x.json', '/abs/path.json', 'chunks/a/b/c/1.gz/x'])(
    'refuses the path trick %j',
    async (name) => {
      const entries = [...(await honestEntries()), { name, body: Buffer.from('{}') }]
      await expectRefused(await craft(entries), /not part of a Replaydesk bundle/)
    },
  )

  it('refuses a link entry', async () => {
    const entries = [
      ...(await honestEntries()),
      { name: 'sessions/link.json', body: Buffer.alloc(0), type: 'symlink' as const },
    ]
    await expectRefused(await craft(entries), /not part of a Replaydesk bundle/)
  })

  it('refuses a chunk that inflates past the limit (a decompression bomb)', async () => {
    const entries = await honestEntries()
    entries[1]!.body = gzipSync(Buffer.alloc(80 * 1024 * 1024, 32))
    await expectRefused(await craft(entries), /inflates too far/)
  })

  it('refuses an entry whose size differs from the manifest’s', async () => {
    const entries = await honestEntries()
    entries[0]!.listedSize = entries[0]!.body.length + 10
    await expectRefused(await craft(entries), /does not match the manifest/)
  })

  it('refuses a session entry that is not JSON', async () => {
    const entries = await honestEntries()
    entries[0]!.body = Buffer.from('{"session": ')
    await expectRefused(await craft(entries), /not valid JSON/)
  })

  it('refuses a chunk whose batch belongs to another session', async () => {
    const entries = await honestEntries()
    const other = source.readSessionRecord('session-0001')!.chunks[0]!
    entries[1]!.body = source.readChunkBody('session-0001', other)
    await expectRefused(await craft(entries), /does not hold the batch its name says/)
  })

  it('refuses a bundle with a chunk missing', async () => {
    await expectRefused(await craft((await honestEntries()).slice(0, 1)), /lacks 1 of its chunks/)
  })

  it('refuses entries the manifest does not list', async () => {
    const entries = await honestEntries()
    const manifestEntries = [
      {
        name: entries[0]!.name,
        size: entries[0]!.body.length,
        sha256: createHash('sha256').update(entries[0]!.body).digest('hex'),
      },
    ]
    await expectRefused(await craft(entries, { entries: manifestEntries }), /does not list/)
  })
})
