import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { createHash, randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { batchSchema } from '../../shared/batchSchema'
import { ERROR_EVENT_TAG, type BatchInput } from '../../shared/wire'
import { makeBatch } from '../testing/makeBatch'
import { DATABASE_FILE, Store } from './Store'
import { LATEST_VERSION } from './migrations'

const T = 1_764_000_000_000
let dir: string
let store: Store

function ingest(input: BatchInput) {
  const batch = batchSchema.parse(input)
  return store.ingest(batch, gzipSync(JSON.stringify(input)))
}

function tag(seq: number, t: number, value: unknown, page = 'page-000001') {
  return ingest(
    makeBatch({ seq, page, events: [], meta: undefined, commands: [{ op: 'tag', t, value }] }),
  )
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replaydesk-store-'))
  store = Store.open(dir)
})

afterEach(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('Store tags', () => {
  it('replaces the value of a key set again and keeps the other keys', () => {
    ingest(makeBatch())
    tag(1, T + 10, { plan: 'free', userId: 7 })
    tag(2, T + 20, { plan: 'pro' })

    expect(store.getSummary('session-0001')!.tags).toEqual({ plan: 'pro', userId: 7 })
  })

  it('keeps values of their JSON type', () => {
    ingest(makeBatch())
    tag(1, T, { s: '42', n: 42, yes: true, no: false, f: 1.5 })

    expect(store.getSummary('session-0001')!.tags).toEqual({
      s: '42',
      n: 42,
      yes: true,
      no: false,
      f: 1.5,
    })
  })

  it('ignores a string tag set again, remembering when it was first set', () => {
    ingest(makeBatch())
    tag(1, T + 10, 'viewed checkout')
    tag(2, T + 20, 'viewed checkout')
    tag(3, T + 30, 'vip')

    const detail = store.getDetail('session-0001')!
    expect(detail.stringTags).toEqual(['viewed checkout', 'vip'])
    expect(detail.tagTimes.filter((t) => t.key === null)).toEqual([
      { key: null, value: 'viewed checkout', firstSeenAt: new Date(T + 10).toISOString() },
      { key: null, value: 'vip', firstSeenAt: new Date(T + 30).toISOString() },
    ])
  })

  it('applies tags from several pages of one session to the whole session', () => {
    ingest(makeBatch({ page: 'page-000001' }))
    ingest(makeBatch({ page: 'page-000002', seq: 0 }, T + 5000))
    tag(1, T + 100, { email: 'a@b.c' }, 'page-000001')
    tag(1, T + 5100, { converted: true }, 'page-000002')

    const summary = store.getSummary('session-0001')!
    expect(summary.pages).toBe(2)
    expect(summary.tags).toEqual({ email: 'a@b.c', converted: true })
  })

  it('lets the later value win even when the earlier one arrives last', () => {
    ingest(makeBatch())
    tag(2, T + 200, { plan: 'pro' })
    tag(1, T + 100, { plan: 'free' })

    const detail = store.getDetail('session-0001')!
    expect(detail.tags.plan).toBe('pro')
    expect(detail.tagTimes.find((t) => t.key === 'plan')!.firstSeenAt).toBe(
      new Date(T + 100).toISOString(),
    )
  })

  it('keeps the latest identity and the site id', () => {
    ingest(
      makeBatch({
        commands: [
          { op: 'wid', t: T, value: 1234 },
          { op: 'identify', t: T + 2, value: 'second@example.com' },
          { op: 'identify', t: T + 1, value: 'first@example.com' },
        ],
      }),
    )
    const summary = store.getSummary('session-0001')!
    expect(summary.identity).toBe('second@example.com')
    expect(summary.site).toBe('1234')
  })
})

describe('Store ingest', () => {
  it('stores a retried batch once', () => {
    expect(ingest(makeBatch())).toBe('stored')
    expect(ingest(makeBatch())).toBe('duplicate')

    const summary = store.getSummary('session-0001')!
    expect(summary.events).toBe(2)
    expect(store.getEvents('session-0001')[0]!.events).toHaveLength(2)
  })

  it('returns events page by page in the order the pages started', () => {
    ingest(makeBatch({ page: 'page-later', seq: 0 }, T + 9000))
    ingest(makeBatch({ page: 'page-first', seq: 0 }, T))
    ingest(
      makeBatch(
        { page: 'page-first', seq: 1, meta: undefined, events: [{ type: 3, timestamp: T + 50 }] },
        T,
      ),
    )

    const pages = store.getEvents('session-0001')
    expect(pages.map((p) => p.page)).toEqual(['page-first', 'page-later'])
    expect(pages[0]!.events.map((e) => (e as { type: number }).type)).toEqual([4, 2, 3])
  })

  it('keeps the summary current: span, duration, events and URLs in visit order', () => {
    ingest(makeBatch({ page: 'page-000001' }))
    const second = makeBatch({ page: 'page-000002' }, T + 60_000)
    second.meta!.url = 'https://shop.example/thanks'
    ingest(second)

    const summary = store.getSummary('session-0001')!
    expect(summary.startedAt).toBe(new Date(T).toISOString())
    expect(summary.durationMs).toBe(60_001)
    expect(summary.events).toBe(4)
    expect(summary.urls).toEqual(['https://shop.example/checkout', 'https://shop.example/thanks'])
  })

  it('keeps the browser of the first page and every distinct error message', () => {
    const first = makeBatch()
    first.meta!.userAgent = 'Mozilla/5.0 (Windows NT 10.0) Firefox/133.0'
    first.events.push(
      { type: 5, timestamp: T + 5, data: { tag: ERROR_EVENT_TAG, payload: { message: 'Boom' } } },
      { type: 5, timestamp: T + 6, data: { tag: 'other', payload: { message: 'not an error' } } },
    )
    ingest(first)
    const second = makeBatch({ page: 'page-000002' }, T + 100)
    second.events.push(
      { type: 5, timestamp: T + 105, data: { tag: ERROR_EVENT_TAG, payload: { message: 'Boom' } } },
      { type: 5, timestamp: T + 106, data: { tag: ERROR_EVENT_TAG, payload: { message: 'Bang' } } },
    )
    ingest(second)

    const summary = store.getSummary('session-0001')!
    expect(summary).toMatchObject({ browser: 'Firefox 133', os: 'Windows', device: 'desktop' })
    expect(summary.errors).toEqual(['Boom', 'Bang'])
  })

  it('lists sessions newest first', () => {
    ingest(makeBatch({ sid: 'session-old' }, T))
    ingest(makeBatch({ sid: 'session-new' }, T + 1000))
    expect(store.listSummaries().map((s) => s.id)).toEqual(['session-new', 'session-old'])
  })
})

describe('Store migrations', () => {
  it('creates the whole schema on an empty database, in WAL mode', () => {
    expect(store.schemaVersion()).toBe(LATEST_VERSION)
    const db = new Database(join(dir, DATABASE_FILE), { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name)
    expect(tables).toEqual([
      'asset_blobs',
      'asset_urls',
      'chunks',
      'errors',
      'pages',
      'session_assets',
      'sessions',
      'string_tags',
      'tags',
    ])
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2)
    db.close()
  })

  it('reopens a store without running migrations again or losing data', () => {
    ingest(makeBatch())
    store.close()
    store = Store.open(dir)
    expect(store.getSummary('session-0001')!.events).toBe(2)
  })

  it('refuses a database written by a newer version', () => {
    store.close()
    const db = new Database(join(dir, DATABASE_FILE))
    db.pragma(`user_version = ${LATEST_VERSION + 1}`)
    expect(() => Store.open(dir)).toThrow(/newer Replaydesk/)

    db.pragma(`user_version = ${LATEST_VERSION}`)
    db.close()
    store = Store.open(dir)
  })
})

describe('Store deletion and retention', () => {
  const asset = (text: string) => ({
    hash: createHash('sha256').update(text).digest('hex'),
    contentType: 'image/png',
    body: Buffer.from(text),
  })

  it('deletes a session with its tags and events and only the assets no one else uses', () => {
    ingest(makeBatch({ sid: 'session-gone', commands: [{ op: 'tag', t: T, value: 'vip' }] }))
    ingest(makeBatch({ sid: 'session-kept' }))
    store.addAssetUrls('session-gone', ['https://a.example/own.png', 'https://a.example/both.png'])
    store.addAssetUrls('session-kept', ['https://a.example/both.png'])
    store.storeAsset('https://a.example/own.png', asset('own'))
    store.storeAsset('https://a.example/both.png', asset('both'))

    expect(store.deleteSessions(['session-gone'])).toEqual({ sessions: 1, assets: 1 })
    store.reclaimSpace()

    expect(store.getDetail('session-gone')).toBeUndefined()
    expect(store.getEvents('session-gone')).toEqual([])
    expect(store.assetStatus('https://a.example/own.png')).toBeNull()
    expect(store.getAsset(asset('own').hash)).toBeUndefined()
    expect(store.getAsset(asset('both').hash)!.body.toString()).toBe('both')
    expect(store.stats()).toMatchObject({ sessions: 1, assets: 1 })
  })

  it('takes no more asset URLs for a session past its limit', () => {
    ingest(makeBatch())
    const urls = (from: number) => [0, 1, 2].map((i) => `https://a.example/${from + i}.png`)
    expect(store.addAssetUrls('session-0001', urls(0), 4)).toHaveLength(3)
    expect(store.addAssetUrls('session-0001', urls(3), 4)).toEqual(['https://a.example/3.png'])
    expect(store.addAssetUrls('session-0001', urls(0), 4)).toEqual([])
    expect(store.stats().assetUrls).toBe(4)
  })

  it('keeps one copy of content fetched from two URLs', () => {
    ingest(makeBatch())
    store.addAssetUrls('session-0001', ['https://a.example/1.png', 'https://b.example/1.png'])
    store.storeAsset('https://a.example/1.png', asset('same'))
    store.storeAsset('https://b.example/1.png', asset('same'))
    expect(store.stats()).toMatchObject({ assets: 1, assetUrls: 2, assetBytes: 4 })
  })

  it('expires old sessions, then the oldest until the bytes fit, never a pinned one', () => {
    ingest(makeBatch({ sid: 'session-oldest' }, T))
    ingest(makeBatch({ sid: 'session-pinned' }, T + 1000))
    ingest(makeBatch({ sid: 'session-middle' }, T + 2000))
    ingest(makeBatch({ sid: 'session-newest' }, T + 3000))
    expect(store.setPinned('session-pinned', true)).toBe(true)
    expect(store.setPinned('session-nobody', true)).toBe(false)

    expect(store.sessionsToExpire({ endedBefore: T + 2500 })).toEqual([
      'session-oldest',
      'session-middle',
    ])
    const perSession = store.stats().eventBytes / 4
    expect(store.sessionsToExpire({ maxBytes: Math.ceil(perSession * 2.5) })).toEqual([
      'session-oldest',
      'session-middle',
    ])
    expect(store.sessionsToExpire({ endedBefore: T + 10_000 })).not.toContain('session-pinned')
  })

  it('switches a store made without incremental vacuum over on its first deletion', () => {
    store.close()
    rmSync(join(dir, DATABASE_FILE))
    const old = new Database(join(dir, DATABASE_FILE))
    old.exec('CREATE TABLE made_by_an_old_version (x)')
    old.close()
    store = Store.open(dir)
    ingest(makeBatch({ sid: 'session-gone' }))

    store.deleteSessions(['session-gone'])
    store.reclaimSpace()

    const db = new Database(join(dir, DATABASE_FILE), { readonly: true })
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2)
    db.close()
  })

  it('gives the space of deleted sessions back to the file system', () => {
    const big = randomBytes(200_000).toString('base64')
    for (let i = 0; i < 5; i++) {
      const input = makeBatch({
        sid: `session-big-${i}`,
        events: [{ type: 5, timestamp: T, data: { tag: 'x', payload: big } }],
      })
      store.ingest(batchSchema.parse(input), Buffer.from(JSON.stringify(input)))
    }
    store.reclaimSpace()
    const before = store.stats().fileBytes

    store.deleteSessions([0, 1, 2, 3, 4].map((i) => `session-big-${i}`))
    store.reclaimSpace()

    expect(store.stats().fileBytes).toBeLessThan(before / 4)
  })
})
