/**
 * Writes generated sessions straight into a store's tables in one transaction: the schema is
 * the store's own (Store.open creates it), only faster than ingesting batch by batch, so a
 * benchmark can fill 100,000 sessions in seconds. Also builds the SQLite FTS5 tables the
 * search benchmark compares against.
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { parseUserAgent } from '../shared/userAgent'
import { formatTagValue } from '../shared/tags'
import { DATABASE_FILE, Store } from '../electron/store/Store'
import type { SessionSpec } from '../electron/testing/generateSessions'

export function writeSessions(dataDir: string, specs: SessionSpec[]): void {
  Store.open(dataDir).close()
  const db = new Database(join(dataDir, DATABASE_FILE))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')

  const session = db.prepare(
    `INSERT INTO sessions (id, site, identity, started_at, ended_at, event_count, received_at,
                           browser, os, device)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const page = db.prepare(
    `INSERT INTO pages (session_id, id, tab_id, url, title, started_at, ended_at, event_count)
     VALUES (?, ?, 'tab-000001', ?, ?, ?, ?, 3)`,
  )
  const tag = db.prepare(
    'INSERT INTO tags (session_id, key, value, first_seen, updated_at) VALUES (?, ?, ?, ?, ?)',
  )
  const stringTag = db.prepare(
    'INSERT INTO string_tags (session_id, tag, first_seen) VALUES (?, ?, ?)',
  )
  const error = db.prepare('INSERT INTO errors (session_id, message, first_seen) VALUES (?, ?, ?)')
  const agents = new Map<string, ReturnType<typeof parseUserAgent>>()

  db.transaction(() => {
    for (const s of specs) {
      let agent = agents.get(s.userAgent)
      if (!agent) agents.set(s.userAgent, (agent = parseUserAgent(s.userAgent)))
      const span = s.pages.reduce((n, p) => n + p.durationMs + 1000, 0) - 1000
      const end = s.startedAt + span
      session.run(
        s.id,
        s.site,
        s.identity,
        s.startedAt,
        end,
        s.pages.length * 3,
        end,
        agent.browser,
        agent.os,
        agent.device,
      )
      let t = s.startedAt
      s.pages.forEach((p, i) => {
        page.run(s.id, `page-${i}`, p.url, p.title, t, t + p.durationMs)
        t += p.durationMs + 1000
      })
      for (const [key, value] of Object.entries(s.tags)) {
        tag.run(s.id, key, JSON.stringify(value), s.startedAt, s.startedAt)
      }
      for (const text of s.stringTags) stringTag.run(s.id, text, s.startedAt)
      for (const message of s.errors) error.run(s.id, message, s.startedAt)
    }
  })()
  db.close()
}

/**
 * The baseline: two FTS5 tables over the same sessions. `fts_exact` keeps `key=value` as one
 * token (exact tags); `fts_text` splits everything into words (bare words). Their rowids are
 * the sessions table's, so results are ordered by start time the way the index orders them.
 */
export function buildFts(dataDir: string, specs: SessionSpec[]): Database.Database {
  const db = new Database(join(dataDir, DATABASE_FILE))
  db.exec(`
    CREATE VIRTUAL TABLE fts_exact USING fts5(tags, tokenize = "unicode61 tokenchars '=@.-_'");
    CREATE VIRTUAL TABLE fts_text USING fts5(tags, identity, urls, titles, errors, agent);
  `)
  const rowids = new Map(
    (db.prepare('SELECT id, rowid FROM sessions').all() as { id: string; rowid: number }[]).map(
      (r) => [r.id, r.rowid],
    ),
  )
  const exact = db.prepare('INSERT INTO fts_exact (rowid, tags) VALUES (?, ?)')
  const text = db.prepare(
    'INSERT INTO fts_text (rowid, tags, identity, urls, titles, errors, agent) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  db.transaction(() => {
    for (const s of specs) {
      const rowid = rowids.get(s.id)!
      const pairs = Object.entries(s.tags).map(([k, v]) => `${k}=${formatTagValue(v)}`)
      exact.run(
        rowid,
        [...pairs, ...s.stringTags.map((t) => `tag=${t.replaceAll(' ', '_')}`)].join(' '),
      )
      text.run(
        rowid,
        [
          ...Object.entries(s.tags).map(([k, v]) => `${k} ${formatTagValue(v)}`),
          ...s.stringTags,
        ].join(' '),
        s.identity ?? '',
        s.pages.map((p) => p.url).join(' '),
        s.pages.map((p) => p.title).join(' '),
        s.errors.join(' '),
        s.userAgent,
      )
    }
  })()
  return db
}
