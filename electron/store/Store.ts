import Database from 'better-sqlite3'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import type {
  PageEvents,
  PageSummary,
  SessionDetail,
  SessionSummary,
  TagValue,
} from '../../shared/api'
import type { Batch, TagCommand } from '../../shared/wire'
import { errorMessagesOf, EventType } from '../../shared/wire'
import { parseUserAgent } from '../../shared/userAgent'
import { LATEST_VERSION, migrations } from './migrations'

export const DATABASE_FILE = 'replaydesk.db'

export interface OpenStoreOptions {
  /** A better-sqlite3 addon built for another runtime (the Electron build). */
  nativeBinding?: string
}

export type IngestOutcome = 'stored' | 'duplicate'

interface SessionRow {
  id: string
  site: string | null
  identity: string | null
  started_at: number
  ended_at: number
  event_count: number
  browser: string | null
  os: string | null
  device: string | null
}

interface PageRow {
  session_id: string
  id: string
  tab_id: string
  url: string
  title: string
  started_at: number
  ended_at: number
  event_count: number
}

interface TagRow {
  session_id: string
  key: string
  value: string
  first_seen: number
}

interface StringTagRow {
  session_id: string
  tag: string
  first_seen: number
}

interface ErrorRow {
  session_id: string
  message: string
}

/**
 * The only module that touches the database. Everything is synchronous: better-sqlite3
 * commits in microseconds, and a caller that gets control back knows its write is durable.
 */
export class Store {
  private readonly db: Database.Database

  private constructor(db: Database.Database) {
    this.db = db
  }

  /** Opens (creating and migrating as needed) the store in a data directory. */
  static open(dataDir: string, options: OpenStoreOptions = {}): Store {
    const db = new Database(join(dataDir, DATABASE_FILE), {
      nativeBinding: options.nativeBinding,
    })
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    migrate(db)
    return new Store(db)
  }

  close(): void {
    this.db.close()
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  /**
   * Stores one batch in one transaction: its events as the compressed body received, the
   * page it belongs to, and its tag commands. A batch whose address is already stored
   * changes nothing, which makes retries safe.
   */
  ingest(batch: Batch, gzippedBody: Buffer, receivedAt = Date.now()): IngestOutcome {
    return this.db.transaction((): IngestOutcome => {
      const exists = this.db
        .prepare(
          'SELECT 1 FROM chunks WHERE session_id = ? AND tab_id = ? AND page_id = ? AND seq = ?',
        )
        .get(batch.sid, batch.tab, batch.page, batch.seq)
      if (exists) return 'duplicate'

      const span = timeSpan(batch, receivedAt)
      const eventCount = batch.events.length

      this.db
        .prepare(
          `INSERT INTO sessions (id, started_at, ended_at, event_count, received_at)
           VALUES (@id, @start, @end, @count, @receivedAt)
           ON CONFLICT (id) DO UPDATE SET
             started_at = min(started_at, excluded.started_at),
             ended_at = max(ended_at, excluded.ended_at),
             event_count = event_count + excluded.event_count,
             received_at = excluded.received_at`,
        )
        .run({ id: batch.sid, start: span.start, end: span.end, count: eventCount, receivedAt })

      this.db
        .prepare(
          `INSERT INTO pages (session_id, id, tab_id, url, title, meta, started_at, ended_at,
                              event_count)
           VALUES (@sid, @page, @tab, @url, @title, @meta, @start, @end, @count)
           ON CONFLICT (session_id, id) DO UPDATE SET
             url = CASE WHEN excluded.meta IS NULL THEN url ELSE excluded.url END,
             title = CASE WHEN excluded.meta IS NULL THEN title ELSE excluded.title END,
             meta = coalesce(excluded.meta, meta),
             started_at = min(started_at, excluded.started_at),
             ended_at = max(ended_at, excluded.ended_at),
             event_count = event_count + excluded.event_count`,
        )
        .run({
          sid: batch.sid,
          page: batch.page,
          tab: batch.tab,
          url: batch.meta?.url ?? '',
          title: batch.meta?.title ?? '',
          meta: batch.meta ? JSON.stringify(batch.meta) : null,
          start: span.start,
          end: span.end,
          count: eventCount,
        })

      if (batch.meta) this.recordUserAgent(batch.sid, batch.meta.userAgent)
      for (const command of batch.commands) this.applyCommand(batch.sid, command)
      for (const message of errorMessagesOf(batch.events)) {
        this.db
          .prepare(
            `INSERT INTO errors (session_id, message, first_seen) VALUES (?, ?, ?)
             ON CONFLICT DO UPDATE SET count = count + 1,
               first_seen = min(first_seen, excluded.first_seen)`,
          )
          .run(batch.sid, message, span.start)
      }

      this.db
        .prepare(
          `INSERT INTO chunks (session_id, tab_id, page_id, seq, first_ts, last_ts, event_count,
                               has_full_snapshot, body, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          batch.sid,
          batch.tab,
          batch.page,
          batch.seq,
          eventCount > 0 ? span.start : null,
          eventCount > 0 ? span.end : null,
          eventCount,
          batch.events.some((e) => e.type === EventType.FullSnapshot) ? 1 : 0,
          gzippedBody,
          receivedAt,
        )
      return 'stored'
    })()
  }

  /** The session's browser is the one its first page reported. */
  private recordUserAgent(sessionId: string, userAgent: string): void {
    const agent = parseUserAgent(userAgent)
    this.db
      .prepare(
        `UPDATE sessions SET browser = ?, os = ?, device = ?
         WHERE id = ? AND browser IS NULL`,
      )
      .run(agent.browser, agent.os, agent.device, sessionId)
  }

  /**
   * Tag semantics (DESIGN.md). Commands may arrive out of order (a retried batch from an
   * earlier page lands late), so "later" means the time the page set it, not arrival: a
   * value replaces the stored one only if it was set at the same time or after.
   */
  private applyCommand(sessionId: string, command: TagCommand): void {
    const t = Math.round(command.t)

    if (command.op === 'identify' || command.op === 'wid') {
      const column = command.op === 'identify' ? 'identity' : 'site'
      const value = String(command.value)
      if (column === 'site') {
        this.db.prepare('UPDATE sessions SET site = ? WHERE id = ?').run(value, sessionId)
        return
      }
      this.db
        .prepare(
          `UPDATE sessions SET identity = ?, identity_at = ?
           WHERE id = ? AND (identity_at IS NULL OR identity_at <= ?)`,
        )
        .run(value, t, sessionId, t)
      return
    }

    if (typeof command.value === 'string') {
      this.db
        .prepare(
          `INSERT INTO string_tags (session_id, tag, first_seen) VALUES (?, ?, ?)
           ON CONFLICT (session_id, tag) DO UPDATE SET
             first_seen = min(first_seen, excluded.first_seen)`,
        )
        .run(sessionId, command.value, t)
      return
    }

    const upsert = this.db.prepare(
      `INSERT INTO tags (session_id, key, value, first_seen, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (session_id, key) DO UPDATE SET
         value = CASE WHEN excluded.updated_at >= updated_at THEN excluded.value ELSE value END,
         first_seen = min(first_seen, excluded.first_seen),
         updated_at = max(updated_at, excluded.updated_at)`,
    )
    for (const [key, value] of Object.entries(command.value)) {
      upsert.run(sessionId, key, JSON.stringify(value), t, t)
    }
  }

  /** Every session's summary, newest first: what the index is built from at start-up. */
  listSummaries(): SessionSummary[] {
    return this.summarize(
      this.db.prepare('SELECT * FROM sessions ORDER BY started_at DESC, id').all() as SessionRow[],
      this.db.prepare('SELECT * FROM pages ORDER BY started_at, id').all() as PageRow[],
      this.db.prepare('SELECT * FROM tags ORDER BY first_seen, key').all() as TagRow[],
      this.db.prepare('SELECT * FROM string_tags ORDER BY first_seen, tag').all() as StringTagRow[],
      this.db.prepare('SELECT * FROM errors ORDER BY first_seen, message').all() as ErrorRow[],
    )
  }

  sessionCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n
  }

  /**
   * Up to `limit` summaries, newest first (ties by id, descending), after the session
   * `after` (null: from the newest), with each session's distinct page titles. The index is
   * built from these chunks, so start-up never holds the event loop for the whole store.
   */
  listSummariesAfter(
    after: SessionSummary | null,
    limit: number,
  ): { summaries: SessionSummary[]; titles: Map<string, string[]> } {
    const sessions = (
      after
        ? this.db
            .prepare(
              `SELECT * FROM sessions WHERE (started_at, id) < (@t, @id)
               ORDER BY started_at DESC, id DESC LIMIT @limit`,
            )
            .all({ t: Date.parse(after.startedAt), id: after.id, limit })
        : this.db
            .prepare('SELECT * FROM sessions ORDER BY started_at DESC, id DESC LIMIT ?')
            .all(limit)
    ) as SessionRow[]
    const ids = JSON.stringify(sessions.map((s) => s.id))
    const of = (columns: string, table: string, order: string): unknown[] =>
      this.db
        .prepare(
          `SELECT ${columns} FROM ${table}
           WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY ${order}`,
        )
        .all(ids)
    const pages = of('session_id, url, title', 'pages', 'started_at, id') as PageRow[]
    const summaries = this.summarize(
      sessions,
      pages,
      of('session_id, key, value', 'tags', 'first_seen, key') as TagRow[],
      of('session_id, tag', 'string_tags', 'first_seen, tag') as StringTagRow[],
      of('session_id, message', 'errors', 'first_seen, message') as ErrorRow[],
    )
    return { summaries, titles: groupTitles(pages) }
  }

  /** Distinct page titles of one session, in the order visited: bare words search them. */
  pageTitles(sessionId: string): string[] {
    const pages = this.db
      .prepare('SELECT session_id, title FROM pages WHERE session_id = ? ORDER BY started_at, id')
      .all(sessionId) as PageRow[]
    return groupTitles(pages).get(sessionId) ?? []
  }

  getSummary(id: string): SessionSummary | undefined {
    const detail = this.getDetail(id)
    if (!detail) return undefined
    const { pageList: _pages, tagTimes: _times, ...summary } = detail
    return summary
  }

  getDetail(id: string): SessionDetail | undefined {
    const session = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as
      SessionRow | undefined
    if (!session) return undefined

    const pages = this.db
      .prepare('SELECT * FROM pages WHERE session_id = ? ORDER BY started_at, id')
      .all(id) as PageRow[]
    const tags = this.db
      .prepare('SELECT * FROM tags WHERE session_id = ? ORDER BY first_seen, key')
      .all(id) as TagRow[]
    const stringTags = this.db
      .prepare('SELECT * FROM string_tags WHERE session_id = ? ORDER BY first_seen, tag')
      .all(id) as StringTagRow[]

    const errors = this.db
      .prepare('SELECT * FROM errors WHERE session_id = ? ORDER BY first_seen, message')
      .all(id) as ErrorRow[]

    const [summary] = this.summarize([session], pages, tags, stringTags, errors)
    return {
      ...summary!,
      pageList: pages.map(toPageSummary),
      tagTimes: [
        ...tags.map((t) => ({
          key: t.key,
          value: JSON.parse(t.value) as TagValue,
          firstSeenAt: iso(t.first_seen),
        })),
        ...stringTags.map((t) => ({ key: null, value: t.tag, firstSeenAt: iso(t.first_seen) })),
      ].sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt)),
    }
  }

  /** The session's events, page by page in the order the pages started. */
  getEvents(id: string): PageEvents[] {
    const rows = this.db
      .prepare(
        `SELECT c.page_id, c.body FROM chunks c
         JOIN pages p ON p.session_id = c.session_id AND p.id = c.page_id
         WHERE c.session_id = ?
         ORDER BY p.started_at, p.id, c.seq`,
      )
      .all(id) as { page_id: string; body: Buffer }[]

    const pages: PageEvents[] = []
    for (const row of rows) {
      const batch = JSON.parse(gunzipSync(row.body).toString('utf8')) as { events: unknown[] }
      const last = pages[pages.length - 1]
      if (last?.page === row.page_id) last.events.push(...batch.events)
      else pages.push({ page: row.page_id, events: [...batch.events] })
    }
    return pages
  }

  private summarize(
    sessions: SessionRow[],
    pages: PageRow[],
    tags: TagRow[],
    stringTags: StringTagRow[],
    errors: ErrorRow[],
  ): SessionSummary[] {
    const byId = new Map<string, SessionSummary>()
    for (const s of sessions) {
      byId.set(s.id, {
        id: s.id,
        site: s.site,
        identity: s.identity,
        tags: {},
        stringTags: [],
        startedAt: iso(s.started_at),
        endedAt: iso(s.ended_at),
        durationMs: s.ended_at - s.started_at,
        pages: 0,
        events: s.event_count,
        urls: [],
        browser: s.browser,
        os: s.os,
        device: s.device,
        errors: [],
      })
    }
    for (const p of pages) {
      const summary = byId.get(p.session_id)
      if (!summary) continue
      summary.pages++
      if (p.url && !summary.urls.includes(p.url)) summary.urls.push(p.url)
    }
    for (const t of tags) {
      const summary = byId.get(t.session_id)
      if (summary) summary.tags[t.key] = JSON.parse(t.value) as TagValue
    }
    for (const t of stringTags) byId.get(t.session_id)?.stringTags.push(t.tag)
    for (const e of errors) byId.get(e.session_id)?.errors.push(e.message)
    return [...byId.values()]
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > LATEST_VERSION) {
    throw new Error(
      `this data directory was written by a newer Replaydesk (schema ${current}); ` +
        'upgrade Replaydesk to open it',
    )
  }
  for (const migration of migrations.filter((m) => m.version > current)) {
    db.transaction(() => {
      db.exec(migration.sql)
      migration.backfill?.(db)
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
}

function timeSpan(batch: Batch, fallback: number): { start: number; end: number } {
  let start = Infinity
  let end = -Infinity
  for (const e of batch.events) {
    start = Math.min(start, e.timestamp)
    end = Math.max(end, e.timestamp)
  }
  for (const c of batch.commands) {
    start = Math.min(start, c.t)
    end = Math.max(end, c.t)
  }
  if (start === Infinity) return { start: fallback, end: fallback }
  return { start: Math.round(start), end: Math.round(end) }
}

function toPageSummary(p: PageRow): PageSummary {
  return {
    id: p.id,
    tab: p.tab_id,
    url: p.url,
    title: p.title,
    startedAt: iso(p.started_at),
    endedAt: iso(p.ended_at),
    events: p.event_count,
  }
}

function groupTitles(pages: Pick<PageRow, 'session_id' | 'title'>[]): Map<string, string[]> {
  const titles = new Map<string, string[]>()
  for (const page of pages) {
    if (page.title === '') continue
    const list = titles.get(page.session_id) ?? []
    if (!list.includes(page.title)) list.push(page.title)
    titles.set(page.session_id, list)
  }
  return titles
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
