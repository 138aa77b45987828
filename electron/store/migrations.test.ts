import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import { ERROR_EVENT_TAG } from '../../shared/wire'
import { migrations } from './migrations'
import { DATABASE_FILE, Store } from './Store'

const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36'
let dir: string

/** A database left at `version` by an older Replaydesk. */
function databaseAt(version: number): Database.Database {
  const db = new Database(join(dir, DATABASE_FILE))
  for (const m of migrations.filter((m) => m.version <= version)) {
    db.exec(m.sql)
    m.backfill?.(db)
  }
  db.pragma(`user_version = ${version}`)
  return db
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replaydesk-migrations-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('migration 2', () => {
  it('adds browser, OS, device and errors, derived from the sessions already stored', () => {
    const db = databaseAt(1)
    db.prepare(
      `INSERT INTO sessions (id, identity, started_at, ended_at, event_count, received_at)
       VALUES ('session-1', 'ann', 1000, 2000, 3, 2000)`,
    ).run()
    db.prepare(
      `INSERT INTO pages (session_id, id, tab_id, url, title, meta, started_at, ended_at)
       VALUES ('session-1', 'page-1', 'tab-1', 'https://a.example/', 'A', ?, 1000, 2000)`,
    ).run(JSON.stringify({ userAgent: CHROME_UA }))
    const events = [
      { type: 4, timestamp: 1000, data: {} },
      { type: 5, timestamp: 1500, data: { tag: ERROR_EVENT_TAG, payload: { message: 'Boom' } } },
    ]
    db.prepare(
      `INSERT INTO chunks (session_id, tab_id, page_id, seq, first_ts, last_ts, event_count,
                           has_full_snapshot, body, received_at)
       VALUES ('session-1', 'tab-1', 'page-1', 0, 1000, 1500, 2, 0, ?, 2000)`,
    ).run(gzipSync(JSON.stringify({ events })))
    db.close()

    const store = Store.open(dir)
    const summary = store.getSummary('session-1')!
    store.close()

    expect(summary).toMatchObject({
      identity: 'ann',
      events: 3,
      browser: 'Chrome 156',
      os: 'Linux',
      device: 'desktop',
      errors: ['Boom'],
      urls: ['https://a.example/'],
    })
  })
})

describe('migration 3', () => {
  it('counts stored bytes, leaves sessions unpinned and lists their asset URLs to fetch', () => {
    const db = databaseAt(2)
    db.prepare(
      `INSERT INTO sessions (id, started_at, ended_at, event_count, received_at)
       VALUES ('session-1', 1000, 2000, 1, 2000)`,
    ).run()
    db.prepare(
      `INSERT INTO pages (session_id, id, tab_id, started_at, ended_at)
       VALUES ('session-1', 'page-1', 'tab-1', 1000, 2000)`,
    ).run()
    const snapshot = {
      type: 2,
      timestamp: 1000,
      data: {
        node: {
          type: 2,
          id: 1,
          tagName: 'img',
          attributes: { src: 'https://a.example/logo.png' },
          childNodes: [],
        },
      },
    }
    const body = gzipSync(JSON.stringify({ events: [snapshot] }))
    db.prepare(
      `INSERT INTO chunks (session_id, tab_id, page_id, seq, first_ts, last_ts, event_count,
                           has_full_snapshot, body, received_at)
       VALUES ('session-1', 'tab-1', 'page-1', 0, 1000, 1000, 1, 1, ?, 2000)`,
    ).run(body)
    db.close()

    const store = Store.open(dir)
    const stats = store.stats()
    const pending = store.pendingAssetUrls(10)
    const pinned = store.isPinned('session-1')
    store.close()

    expect(stats).toMatchObject({ sessions: 1, events: 1, eventBytes: body.length })
    expect(pending).toEqual(['https://a.example/logo.png'])
    expect(pinned).toBe(false)
  })
})
