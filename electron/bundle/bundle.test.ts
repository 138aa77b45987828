import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { extract, pack } from 'tar-stream'
import { batchSchema } from '../../shared/batchSchema'
import type { BatchInput } from '../../shared/wire'
import { makeBatch } from '../testing/makeBatch'
import { Store } from '../store/Store'
import { assetEntryName, BUNDLE_FORMAT, BUNDLE_VERSION, MANIFEST_ENTRY } from './bundleFormat'
import { BundleError, importBundle } from './readBundle'
import { writeBundle } from './writeBundle'

const T = 1_764_000_000_000
const LOGO = 'https://shop.example/logo.png'
const STYLE = 'https://shop.example/site.css'
/** Named only by the stylesheet, never by the events. */
const FONT = 'https://shop.example/font.woff2'
const GONE = 'https://shop.example/gone.png'
const LOGO_PNG = Buffer.from('\x89PNG\r\n\x1a\n a two-pixel logo')
let dir: string
let source: Store
let target: Store

function ingest(store: Store, input: BatchInput): void {
  store.ingest(batchSchema.parse(input), gzipSync(JSON.stringify(input)))
}

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex')

/** A FullSnapshot whose page shows these images and links this stylesheet. */
function snapshotUsing(t: number, images: string[], stylesheet?: string) {
  const children = images.map((src, i) => ({
    type: 2,
    id: 10 + i,
    tagName: 'img',
    attributes: { src },
    childNodes: [],
  }))
  if (stylesheet) {
    children.push({
      type: 2,
      id: 9,
      tagName: 'link',
      attributes: { rel: 'stylesheet', href: stylesheet } as never,
      childNodes: [],
    })
  }
  return { type: 2, timestamp: t, data: { node: { type: 0, id: 1, childNodes: children } } }
}

/** Puts an asset in the cache as the fetcher would. */
function cache(store: Store, url: string, contentType: string, body: Buffer): void {
  store.storeAsset(url, { hash: sha256(body), contentType, body })
}

/**
 * Two sessions: one over two pages with tags, an identity, an error and cached assets (an
 * image, a stylesheet with a font, one URL that failed); one bare but for the same image.
 */
function record(store: Store): void {
  const first = makeBatch({
    commands: [
      { op: 'identify', t: T, value: 'ann@example.com' },
      { op: 'tag', t: T + 1, value: { plan: 'pro', points: 42 } },
      { op: 'tag', t: T + 2, value: 'viewed checkout' },
    ],
  })
  first.events.push(snapshotUsing(T + 5, [LOGO, GONE], STYLE))
  ingest(store, first)
  const second = makeBatch({ page: 'page-000002' }, T + 60_000)
  second.events.push({
    type: 5,
    timestamp: T + 60_010,
    data: { tag: 'replaydesk.error', payload: { message: 'Boom', source: 'error' } },
  })
  ingest(store, second)
  const bare = makeBatch({ sid: 'session-0002' }, T + 120_000)
  bare.events.push(snapshotUsing(T + 120_005, [LOGO]))
  ingest(store, bare)

  store.addAssetUrls('session-0001', [LOGO, GONE, STYLE])
  store.addAssetUrls('session-0002', [LOGO])
  cache(store, LOGO, 'image/png', LOGO_PNG)
  cache(store, STYLE, 'text/css; charset=utf-8', Buffer.from(`@font-face{src:url("${FONT}")}`))
  store.addNestedAssetUrls(STYLE, [FONT])
  cache(store, FONT, 'font/woff2', Buffer.from('wOF2 font bytes'))
  store.recordAssetFailure(GONE, 'HTTP 404')
}

/** What a replay can show of each asset URL the sessions use: whether cached, and what. */
function assetsOf(store: Store) {
  return [LOGO, STYLE, FONT, GONE].map((url) => {
    const status = store.assetStatus(url)
    const cached = status?.hash ? store.getAsset(status.hash) : undefined
    return { url, cached: cached && { ...cached, body: cached.body.toString('base64') } }
  })
}

/** Everything a user can see of a store: summaries, details, events and cached assets. */
function contents(store: Store) {
  const { assets, assetBytes } = store.stats()
  return {
    sessions: store.listSummaries().map((s) => ({
      detail: store.getDetail(s.id),
      events: JSON.stringify(store.getEvents(s.id)),
    })),
    assets: assetsOf(store),
    cache: { assets, assetBytes },
  }
}

/** The names of a bundle's entries, in order. */
async function entryNames(file: string): Promise<string[]> {
  const names: string[] = []
  const tar = extract()
  const done = (async () => {
    for await (const entry of tar) {
      names.push(entry.header.name)
      entry.resume()
    }
  })()
  tar.end(readFileSync(file))
  await done
  return names
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

    expect(result).toEqual({
      sessions: 2,
      added: 2,
      chunks: 3,
      assets: 3,
      sessionIds: expect.arrayContaining(['session-0001', 'session-0002']),
    })
    expect(contents(target)).toEqual(contents(source))
    expect(target.getSummary('session-0001')).toMatchObject({
      identity: 'ann@example.com',
      tags: { plan: 'pro', points: 42 },
      stringTags: ['viewed checkout'],
      errors: ['Boom'],
      pages: 2,
    })
  })

  it('carries each cached asset once, after the first session using it', async () => {
    const file = await exportAll()
    const names = await entryNames(file)

    const assets = names.filter((n) => n.startsWith('assets/'))
    expect(assets).toHaveLength(3)
    // Both sessions use the logo: it follows the first one written.
    const [first, second] = names.filter((n) => n.startsWith('sessions/'))
    const logo = names.indexOf(assetEntryName(sha256(LOGO_PNG)))
    expect(logo).toBeGreaterThan(names.indexOf(first!))
    expect(logo).toBeLessThan(names.indexOf(second!))
  })

  it('makes the assets replayable with no fetch, listing the uncached one pending', async () => {
    await importInto(target, await exportAll())

    expect(assetsOf(target)).toEqual(assetsOf(source))
    expect(target.getAsset(sha256(LOGO_PNG))).toEqual({ contentType: 'image/png', body: LOGO_PNG })
    expect(target.assetStatus(FONT)).toMatchObject({ status: 'ok' })
    expect(target.assetStatus(GONE)).toMatchObject({ status: 'pending', hash: null })
    expect(target.pendingAssetUrls(10)).toEqual([GONE])
  })

  it('caches a URL the store had failed, and keeps the content of one it had cached', async () => {
    ingest(target, { ...makeBatch({ sid: 'session-0003' }), events: [snapshotUsing(T, [LOGO])] })
    target.addAssetUrls('session-0003', [LOGO, STYLE])
    target.recordAssetFailure(LOGO, 'HTTP 503')
    const ownStyle = Buffer.from('h1 { color: red }')
    cache(target, STYLE, 'text/css; charset=utf-8', ownStyle)

    await importInto(target, await exportAll())
    expect(target.assetStatus(LOGO)).toMatchObject({ status: 'ok', hash: sha256(LOGO_PNG) })
    expect(target.assetStatus(STYLE)).toMatchObject({ status: 'ok', hash: sha256(ownStyle) })
    // The bundle's own stylesheet would now serve no URL: it is not kept.
    expect(target.stats().assets).toBe(3)
  })

  it('imports a version-1 bundle, which carries no assets, listing them as pending', async () => {
    const v1 = join(import.meta.dirname, 'fixtures', 'v1.replaydesk')
    const result = await importInto(target, v1)

    expect(result).toEqual({
      sessions: 1,
      added: 1,
      chunks: 1,
      assets: 0,
      sessionIds: ['session-v1'],
    })
    expect(target.getSummary('session-v1')!.tags).toEqual({ plan: 'pro' })
    expect(target.assetStatus(LOGO)).toMatchObject({ status: 'pending' })
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
    expect(target.stats().assets).toBe(3)
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
  const count = (prefix: string) => entries.filter((e) => e.name.startsWith(prefix)).length
  const [sessions, chunks, assets] = [count('sessions/'), count('chunks/'), count('assets/')]
  const body = Buffer.from(
    JSON.stringify({
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_VERSION,
      app: { name: 'replaydesk', version: '0.1.0' },
      createdAt: new Date(T).toISOString(),
      query: '',
      counts: { sessions, chunks, assets, bytes: 0 },
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

/** The entries of an honest export (a session, its chunk, its image), to tamper with. */
async function honestEntries(): Promise<RawEntry[]> {
  const record = source.readSessionRecord('session-0002')!
  const chunk = record.chunks[0]!
  return [
    { name: 'sessions/session-0002.json', body: Buffer.from(JSON.stringify(record)) },
    {
      name: `chunks/session-0002/${chunk.tab_id}/${chunk.page_id}/${chunk.seq}.gz`,
      body: source.readChunkBody('session-0002', chunk),
    },
    { name: assetEntryName(sha256(LOGO_PNG)), body: LOGO_PNG },
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
    const [session, , asset] = await honestEntries()
    await expectRefused(await craft([session!, asset!]), /lacks 1 of its chunks/)
  })

  it('refuses an asset whose content is not the one its name says', async () => {
    const entries = await honestEntries()
    entries[2]!.body = Buffer.from('\x89PNG\r\n\x1a\n another image')
    await expectRefused(await craft(entries), /does not hold the content its name says/)
  })

  it('refuses an asset no session listed before it uses', async () => {
    const stray = Buffer.from('GIF89a stray')
    const entries = [
      ...(await honestEntries()),
      { name: assetEntryName(sha256(stray)), body: stray },
    ]
    await expectRefused(await craft(entries), /belongs to no session listed before it/)

    const [session, chunk, asset] = await honestEntries()
    await expectRefused(
      await craft([asset!, session!, chunk!]),
      /belongs to no session listed before it/,
    )
  })

  it('refuses a bundle lacking an asset a session lists as cached', async () => {
    const [session, chunk] = await honestEntries()
    await expectRefused(await craft([session!, chunk!]), /lacks 1 of the cached assets/)
  })

  it('refuses a URL that two sessions say has different contents', async () => {
    const entries = await honestEntries()
    const other = source.readSessionRecord('session-0001')!
    const forged = sha256(Buffer.from('another logo'))
    other.assets = other.assets!.map((a) => (a.url === LOGO ? { ...a, hash: forged } : a))
    entries.push({ name: 'sessions/session-0001.json', body: Buffer.from(JSON.stringify(other)) })
    await expectRefused(await craft(entries), /lists an asset unlike an earlier session/)
  })

  it('refuses an asset larger than any the cache keeps', async () => {
    const entries = await honestEntries()
    const huge = Buffer.alloc(10 * 1024 * 1024 + 1, 7)
    const record = JSON.parse(entries[0]!.body.toString()) as { assets: { hash: string }[] }
    record.assets[0]!.hash = sha256(huge)
    entries[0]!.body = Buffer.from(JSON.stringify(record))
    entries[2] = { name: assetEntryName(sha256(huge)), body: huge }
    await expectRefused(await craft(entries), /is larger than 10485760 bytes/)
  })

  it('refuses an asset of a type a replay never loads (a page or a script)', async () => {
    const entries = await honestEntries()
    entries[0]!.body = Buffer.from(entries[0]!.body.toString().replace('image/png', 'text/html'))
    await expectRefused(await craft(entries), /an asset of a type replays never load/)
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
