import type Database from 'better-sqlite3'
import { openDatabase } from './openDatabase'
import { gunzipSync } from 'node:zlib'
import { existsSync, statSync } from 'node:fs'
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
import {
  mergeStaged,
  readChunkBody,
  readSessionRecord,
  stageAssetBlob,
  stageCachedUrls,
  stageChunk,
  stageSessionRecord,
  type ChunkKey,
  type SessionRecord,
} from './bundleRows'
import type { TimedEvent } from '../../shared/eventWindow'

export const DATABASE_FILE = 'replaydesk.db'

export interface OpenStoreOptions {
  /** A better-sqlite3 addon built for another runtime (the Electron build). */
  nativeBinding?: string
  /**
   * Open for reading only, beside a running writer: nothing is migrated or written. A store
   * that is missing or older than this Replaydesk is opened for writing instead, once, to
   * create or migrate it.
   */
  readonly?: boolean
}

/** What `replaydesk stats` prints. */
export interface StoreStats {
  sessions: number
  pinned: number
  events: number
  /** Compressed event chunks, as received. */
  eventBytes: number
  /** Cached assets: distinct contents, their bytes, and URLs that could not be fetched. */
  assets: number
  assetBytes: number
  assetUrls: number
  assetFailures: number
  assetsPending: number
  /** The database and its WAL and shared-memory files. */
  fileBytes: number
}

export interface AssetStatus {
  status: 'pending' | 'ok' | 'failed'
  hash: string | null
  error: string | null
  /** 0 when a recording names it, 1 when a stylesheet of depth 0 does, and so on. */
  depth: number
}

/** One cached asset, as the server sends it. */
export interface StoredAsset {
  contentType: string
  body: Buffer
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
  /** Compiled once: preparing costs more than running most of these statements. */
  private readonly statements = new Map<string, Database.Statement>()

  private constructor(
    db: Database.Database,
    private readonly file: string,
  ) {
    this.db = db
  }

  /** Opens (creating and migrating as needed) the store in a data directory. */
  static open(dataDir: string, options: OpenStoreOptions = {}): Store {
    const file = join(dataDir, DATABASE_FILE)
    if (options.readonly && existsSync(file)) {
      const db = openDatabase(file, { nativeBinding: options.nativeBinding, readonly: true })
      db.pragma('busy_timeout = 5000')
      if ((db.pragma('user_version', { simple: true }) as number) === LATEST_VERSION) {
        return new Store(db, file)
      }
      db.close()
    }

    const db = openDatabase(file, { nativeBinding: options.nativeBinding })
    // Only a new, empty file can switch vacuum mode without a full VACUUM; an older store
    // switches on its first deletion (see reclaimSpace).
    if (isEmpty(db)) db.pragma('auto_vacuum = INCREMENTAL')
    db.pragma('journal_mode = WAL')
    // NORMAL in WAL mode: a commit survives the process being killed (the OS holds the
    // WAL); only a power loss can lose the last commits. FULL would fsync every batch.
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    migrate(db)
    return new Store(db, file)
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text)
    if (!statement) this.statements.set(text, (statement = this.db.prepare(text)))
    return statement
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
    return this.db.transaction(() => this.storeBatch(batch, gzippedBody, receivedAt))()
  }

  /**
   * Stores several batches in one transaction (each as `ingest` would, so a retry inside
   * the group is still a duplicate): one commit for many batches is what keeps the collector
   * fast under load. If one batch fails, none is stored.
   */
  ingestMany(
    items: readonly { batch: Batch; gzippedBody: Buffer }[],
    receivedAt = Date.now(),
  ): IngestOutcome[] {
    return this.db.transaction(() =>
      items.map((item) => this.storeBatch(item.batch, item.gzippedBody, receivedAt)),
    )()
  }

  /** `ingest` without its transaction: the caller holds one. */
  private storeBatch(batch: Batch, gzippedBody: Buffer, receivedAt: number): IngestOutcome {
    const exists = this.sql(
      'SELECT 1 FROM chunks WHERE session_id = ? AND tab_id = ? AND page_id = ? AND seq = ?',
    ).get(batch.sid, batch.tab, batch.page, batch.seq)
    if (exists) return 'duplicate'

    const span = timeSpan(batch, receivedAt)
    const eventCount = batch.events.length

    this.sql(
      `INSERT INTO sessions (id, started_at, ended_at, event_count, received_at, stored_bytes)
           VALUES (@id, @start, @end, @count, @receivedAt, @bytes)
           ON CONFLICT (id) DO UPDATE SET
             started_at = min(started_at, excluded.started_at),
             ended_at = max(ended_at, excluded.ended_at),
             event_count = event_count + excluded.event_count,
             received_at = excluded.received_at,
             stored_bytes = stored_bytes + excluded.stored_bytes`,
    ).run({
      id: batch.sid,
      start: span.start,
      end: span.end,
      count: eventCount,
      receivedAt,
      bytes: gzippedBody.length,
    })

    this.sql(
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
    ).run({
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
      this.sql(
        `INSERT INTO errors (session_id, message, first_seen) VALUES (?, ?, ?)
             ON CONFLICT DO UPDATE SET count = count + 1,
               first_seen = min(first_seen, excluded.first_seen)`,
      ).run(batch.sid, message, span.start)
    }

    this.sql(
      `INSERT INTO chunks (session_id, tab_id, page_id, seq, first_ts, last_ts, event_count,
                               has_full_snapshot, body, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
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
  }

  /** The session's browser is the one its first page reported. */
  private recordUserAgent(sessionId: string, userAgent: string): void {
    const agent = parseUserAgent(userAgent)
    this.sql(
      `UPDATE sessions SET browser = ?, os = ?, device = ?
         WHERE id = ? AND browser IS NULL`,
    ).run(agent.browser, agent.os, agent.device, sessionId)
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
        this.sql('UPDATE sessions SET site = ? WHERE id = ?').run(value, sessionId)
        return
      }
      this.sql(
        `UPDATE sessions SET identity = ?, identity_at = ?
           WHERE id = ? AND (identity_at IS NULL OR identity_at <= ?)`,
      ).run(value, t, sessionId, t)
      return
    }

    if (typeof command.value === 'string') {
      this.sql(
        `INSERT INTO string_tags (session_id, tag, first_seen) VALUES (?, ?, ?)
           ON CONFLICT (session_id, tag) DO UPDATE SET
             first_seen = min(first_seen, excluded.first_seen)`,
      ).run(sessionId, command.value, t)
      return
    }

    const upsert = this.sql(
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
      this.sql('SELECT * FROM sessions ORDER BY started_at DESC, id').all() as SessionRow[],
      this.sql('SELECT * FROM pages ORDER BY started_at, id').all() as PageRow[],
      this.sql('SELECT * FROM tags ORDER BY first_seen, key').all() as TagRow[],
      this.sql('SELECT * FROM string_tags ORDER BY first_seen, tag').all() as StringTagRow[],
      this.sql('SELECT * FROM errors ORDER BY first_seen, message').all() as ErrorRow[],
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
    const session = this.sql('SELECT * FROM sessions WHERE id = ?').get(id) as
      SessionRow | undefined
    if (!session) return undefined

    const pages = this.sql('SELECT * FROM pages WHERE session_id = ? ORDER BY started_at, id').all(
      id,
    ) as PageRow[]
    const tags = this.sql('SELECT * FROM tags WHERE session_id = ? ORDER BY first_seen, key').all(
      id,
    ) as TagRow[]
    const stringTags = this.sql(
      'SELECT * FROM string_tags WHERE session_id = ? ORDER BY first_seen, tag',
    ).all(id) as StringTagRow[]

    const errors = this.sql(
      'SELECT * FROM errors WHERE session_id = ? ORDER BY first_seen, message',
    ).all(id) as ErrorRow[]

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
    const rows = this.sql(
      `SELECT c.page_id, c.body FROM chunks c
         JOIN pages p ON p.session_id = c.session_id AND p.id = c.page_id
         WHERE c.session_id = ?
         ORDER BY p.started_at, p.id, c.seq`,
    ).all(id) as { page_id: string; body: Buffer }[]

    const pages: PageEvents[] = []
    for (const row of rows) {
      const batch = JSON.parse(gunzipSync(row.body).toString('utf8')) as { events: unknown[] }
      const last = pages[pages.length - 1]
      if (last?.page === row.page_id) last.events.push(...batch.events)
      else pages.push({ page: row.page_id, events: [...batch.events] })
    }
    return pages
  }

  // Bundles (electron/bundle/): a session's rows out, a staged bundle's rows in.

  readSessionRecord(id: string): SessionRecord | undefined {
    return readSessionRecord(this.db, id)
  }

  readChunkBody(id: string, key: ChunkKey): Buffer {
    return readChunkBody(this.db, id, key)
  }

  stageSessionRecord(record: SessionRecord): void {
    stageSessionRecord(this.db, record)
  }

  stageChunk(id: string, chunk: SessionRecord['chunks'][number], body: Buffer): void {
    stageChunk(this.db, id, chunk, body)
  }

  stageAssetBlob(asset: StoredAsset & { hash: string }, now = Date.now()): void {
    stageAssetBlob(this.db, asset, now)
  }

  /** Marks staged URLs (url → hash) as cached, once their contents are staged. */
  stageCachedUrls(hashes: ReadonlyMap<string, string>, now = Date.now()): void {
    stageCachedUrls(this.db, hashes, now)
  }

  /** Merges a staging store's file into this one in one transaction; returns new sessions. */
  mergeStaged(stagingFile: string): number {
    return mergeStaged(this.db, stagingFile)
  }

  /**
   * Runs `work` inside one read transaction, so everything it reads, across awaits, comes
   * from the same moment even while batches keep arriving. Only for a connection of its own.
   */
  async readConsistently<T>(work: () => Promise<T>): Promise<T> {
    this.db.exec('BEGIN')
    try {
      return await work()
    } finally {
      this.db.exec('COMMIT')
    }
  }

  /**
   * One tab's events in order, read only from the chunks that can hold events between the
   * last full snapshot at or before `fromTs` and `untilTs`: the loaded window of a long
   * recording costs the window, not the recording. `fromTs` null reads from the start.
   */
  getTabEvents(id: string, tab: string, fromTs: number | null, untilTs: number): TimedEvent[] {
    const checkpoint =
      fromTs === null
        ? undefined
        : (this.db
            .prepare(
              `SELECT max(last_ts) AS ts FROM chunks
               WHERE session_id = ? AND tab_id = ? AND has_full_snapshot = 1 AND last_ts <= ?`,
            )
            .get(id, tab, fromTs) as { ts: number | null } | undefined)
    const from = checkpoint?.ts ?? Number.MIN_SAFE_INTEGER

    const rows = this.db
      .prepare(
        `SELECT c.body FROM chunks c
         JOIN pages p ON p.session_id = c.session_id AND p.id = c.page_id
         WHERE c.session_id = ? AND c.tab_id = ? AND c.last_ts >= ? AND c.first_ts <= ?
         ORDER BY p.started_at, p.id, c.seq`,
      )
      .all(id, tab, from, untilTs) as { body: Buffer }[]

    return rows.flatMap(
      (row) =>
        (JSON.parse(gunzipSync(row.body).toString('utf8')) as { events: TimedEvent[] }).events,
    )
  }

  /** Whether the tab has events recorded after `ts`. */
  hasTabEventsAfter(id: string, tab: string, ts: number): boolean {
    const row = this.db
      .prepare('SELECT 1 FROM chunks WHERE session_id = ? AND tab_id = ? AND last_ts > ? LIMIT 1')
      .get(id, tab, ts)
    return row !== undefined
  }

  /** Keeps a session from retention (or lets it go again). False when there is no such id. */
  setPinned(id: string, pinned: boolean): boolean {
    return (
      this.sql('UPDATE sessions SET pinned = ? WHERE id = ?').run(pinned ? 1 : 0, id).changes > 0
    )
  }

  isPinned(id: string): boolean {
    const row = this.sql('SELECT pinned FROM sessions WHERE id = ?').get(id) as
      { pinned: number } | undefined
    return row?.pinned === 1
  }

  /**
   * Deletes sessions with everything recorded about them: pages, tags, errors, events, and
   * the cached assets no remaining session uses. Returns how many sessions and asset
   * contents went. Space is given back by `reclaimSpace`, which callers run after.
   */
  deleteSessions(ids: readonly string[]): { sessions: number; assets: number } {
    return this.db.transaction(() => {
      let sessions = 0
      const remove = this.sql('DELETE FROM sessions WHERE id = ?')
      for (const id of ids) sessions += remove.run(id).changes

      this.db.exec(
        `DELETE FROM asset_urls
         WHERE url NOT IN (SELECT url FROM session_assets)`,
      )
      const assets = this.sql(
        `DELETE FROM asset_blobs
           WHERE hash NOT IN (SELECT hash FROM asset_urls WHERE hash IS NOT NULL)`,
      ).run().changes
      return { sessions, assets }
    })()
  }

  /**
   * Gives the pages freed by deletions back to the file system. A store made before
   * incremental vacuum was switched on gets one full VACUUM, which switches it on for good.
   */
  reclaimSpace(): void {
    if ((this.db.pragma('auto_vacuum', { simple: true }) as number) !== 2) {
      this.db.pragma('auto_vacuum = INCREMENTAL')
      this.db.exec('VACUUM')
    } else {
      this.db.pragma('incremental_vacuum')
    }
    this.db.pragma('wal_checkpoint(TRUNCATE)')
  }

  /**
   * Sessions retention removes, oldest first: those that ended before `endedBefore`, then
   * more until the stored bytes (events and assets) fit `maxBytes`. Pinned ones never.
   */
  sessionsToExpire(limits: { endedBefore?: number; maxBytes?: number }): string[] {
    const rows = this.sql(
      `SELECT id, ended_at, stored_bytes FROM sessions WHERE pinned = 0
         ORDER BY ended_at, id`,
    ).all() as { id: string; ended_at: number; stored_bytes: number }[]

    const expired: string[] = []
    let bytes = this.storedBytes()
    for (const row of rows) {
      const tooOld = limits.endedBefore !== undefined && row.ended_at < limits.endedBefore
      const tooBig = limits.maxBytes !== undefined && bytes > limits.maxBytes
      if (!tooOld && !tooBig) continue
      expired.push(row.id)
      bytes -= row.stored_bytes
    }
    return expired
  }

  /** Bytes of events and cached assets: what the disk limit of retention counts. */
  private storedBytes(): number {
    const row = this.sql(
      `SELECT (SELECT coalesce(sum(stored_bytes), 0) FROM sessions) +
                (SELECT coalesce(sum(size), 0) FROM asset_blobs) AS bytes`,
    ).get() as { bytes: number }
    return row.bytes
  }

  stats(): StoreStats {
    const sessions = this.sql(
      `SELECT count(*) AS sessions, coalesce(sum(pinned), 0) AS pinned,
                coalesce(sum(event_count), 0) AS events,
                coalesce(sum(stored_bytes), 0) AS eventBytes
         FROM sessions`,
    ).get() as Pick<StoreStats, 'sessions' | 'pinned' | 'events' | 'eventBytes'>
    const blobs = this.sql(
      'SELECT count(*) AS assets, coalesce(sum(size), 0) AS assetBytes FROM asset_blobs',
    ).get() as Pick<StoreStats, 'assets' | 'assetBytes'>
    const urls = this.sql(
      `SELECT count(*) AS assetUrls,
                coalesce(sum(status = 'failed'), 0) AS assetFailures,
                coalesce(sum(status = 'pending'), 0) AS assetsPending
         FROM asset_urls`,
    ).get() as Pick<StoreStats, 'assetUrls' | 'assetFailures' | 'assetsPending'>
    const fileBytes = ['', '-wal', '-shm']
      .map((suffix) => `${this.file}${suffix}`)
      .reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0)
    return { ...sessions, ...blobs, ...urls, fileBytes }
  }

  /**
   * Notes that a session uses these asset URLs and returns those never seen before, now
   * pending: the ones to fetch. A URL seen before, fetched or failed, is not fetched again.
   * A session that already uses `maxPerSession` URLs gets no more.
   */
  addAssetUrls(
    sessionId: string,
    urls: readonly string[],
    maxPerSession = Infinity,
    now = Date.now(),
  ): string[] {
    return this.db.transaction(() => {
      const link = this.sql('INSERT OR IGNORE INTO session_assets (session_id, url) VALUES (?, ?)')
      const add = this.sql(
        `INSERT OR IGNORE INTO asset_urls (url, status, updated_at) VALUES (?, 'pending', ?)`,
      )
      const fresh: string[] = []
      // The session may have been deleted between ingest and now.
      if (!this.sql('SELECT 1 FROM sessions WHERE id = ?').get(sessionId)) return fresh
      const used = this.sql('SELECT count(*) AS n FROM session_assets WHERE session_id = ?')
      let room = maxPerSession - (used.get(sessionId) as { n: number }).n
      for (const url of urls) {
        if (room <= 0) break
        room -= link.run(sessionId, url).changes
        if (add.run(url, now).changes > 0) fresh.push(url)
      }
      return fresh
    })()
  }

  /**
   * Notes the URLs a cached stylesheet names (fonts, images, imports) as used by every
   * session that uses the stylesheet, one level deeper, and returns the new ones.
   */
  addNestedAssetUrls(stylesheetUrl: string, urls: readonly string[], now = Date.now()): string[] {
    return this.db.transaction(() => {
      const parent = this.assetStatus(stylesheetUrl)
      if (!parent) return []
      const fresh: string[] = []
      for (const url of urls) {
        this.sql(
          `INSERT OR IGNORE INTO session_assets (session_id, url)
           SELECT session_id, ? FROM session_assets WHERE url = ?`,
        ).run(url, stylesheetUrl)
        const added = this.sql(
          `INSERT OR IGNORE INTO asset_urls (url, status, depth, updated_at)
           VALUES (?, 'pending', ?, ?)`,
        ).run(url, parent.depth + 1, now)
        if (added.changes > 0) fresh.push(url)
      }
      return fresh
    })()
  }

  /** URLs still waiting for a fetch, e.g. from before a restart. */
  pendingAssetUrls(limit: number): string[] {
    const rows = this.sql(
      `SELECT url FROM asset_urls WHERE status = 'pending' ORDER BY updated_at LIMIT ?`,
    ).all(limit) as { url: string }[]
    return rows.map((r) => r.url)
  }

  /** Stores a fetched asset once per content and points its URL at it. */
  storeAsset(url: string, asset: StoredAsset & { hash: string }, now = Date.now()): void {
    this.db.transaction(() => {
      // Every session using it may have been deleted while it was being fetched.
      if (!this.assetStatus(url)) return
      this.sql(
        `INSERT OR IGNORE INTO asset_blobs (hash, content_type, size, body, stored_at)
           VALUES (?, ?, ?, ?, ?)`,
      ).run(asset.hash, asset.contentType, asset.body.length, asset.body, now)
      this.sql(
        `UPDATE asset_urls SET status = 'ok', hash = ?, error = NULL, updated_at = ?
           WHERE url = ?`,
      ).run(asset.hash, now, url)
    })()
  }

  recordAssetFailure(url: string, reason: string, now = Date.now()): void {
    this.sql(
      `UPDATE asset_urls SET status = 'failed', hash = NULL, error = ?, updated_at = ?
         WHERE url = ?`,
    ).run(reason.slice(0, 200), now, url)
  }

  /** The status of one asset URL. */
  assetStatus(url: string): AssetStatus | null {
    const find = this.sql('SELECT status, hash, error, depth FROM asset_urls WHERE url = ?')
    return (find.get(url) as AssetStatus | undefined) ?? null
  }

  /** The content hashes of those URLs that are cached. */
  assetHashes(urls: readonly string[]): Map<string, string> {
    const hashes = new Map<string, string>()
    const find = this.sql(`SELECT hash FROM asset_urls WHERE url = ? AND status = 'ok'`)
    for (const url of urls) {
      const row = find.get(url) as { hash: string } | undefined
      if (row) hashes.set(url, row.hash)
    }
    return hashes
  }

  getAsset(hash: string): StoredAsset | undefined {
    const row = this.sql('SELECT content_type, body FROM asset_blobs WHERE hash = ?').get(hash) as
      { content_type: string; body: Buffer } | undefined
    return row && { contentType: row.content_type, body: row.body }
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

function isEmpty(db: Database.Database): boolean {
  const row = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get()
  return (row as { n: number }).n === 0
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
