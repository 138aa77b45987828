import type Database from 'better-sqlite3'
import { gunzipSync } from 'node:zlib'
import { collectAssetUrls } from '../../shared/assetUrls'
import { errorMessagesOf } from '../../shared/wire'
import { parseUserAgent } from '../../shared/userAgent'

/**
 * Numbered schema migrations. `PRAGMA user_version` holds the last one applied; each runs in
 * its own transaction, in order, and never changes once released: a change is a new entry.
 * `sql` changes the schema; `backfill` then derives new columns from the data already kept.
 */
export interface Migration {
  version: number
  description: string
  sql: string
  backfill?: (db: Database.Database) => void
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'sessions, pages, tags, string tags and event chunks',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        site TEXT,
        identity TEXT,
        identity_at INTEGER,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        event_count INTEGER NOT NULL DEFAULT 0,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_by_start ON sessions (started_at DESC);

      CREATE TABLE pages (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        tab_id TEXT NOT NULL,
        url TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        meta TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        event_count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, id)
      );

      CREATE TABLE tags (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (session_id, key)
      );

      CREATE TABLE string_tags (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        PRIMARY KEY (session_id, tag)
      );

      CREATE TABLE chunks (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        tab_id TEXT NOT NULL,
        page_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        first_ts INTEGER,
        last_ts INTEGER,
        event_count INTEGER NOT NULL,
        has_full_snapshot INTEGER NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (session_id, tab_id, page_id, seq)
      );
    `,
  },
  {
    version: 2,
    description: 'browser, OS and device of each session; error messages',
    sql: `
      ALTER TABLE sessions ADD COLUMN browser TEXT;
      ALTER TABLE sessions ADD COLUMN os TEXT;
      ALTER TABLE sessions ADD COLUMN device TEXT;

      CREATE TABLE errors (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        message TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (session_id, message)
      );
    `,
    backfill(db) {
      const firstPages = db
        .prepare(
          `SELECT session_id, meta FROM pages p WHERE meta IS NOT NULL AND started_at =
             (SELECT min(started_at) FROM pages WHERE session_id = p.session_id)`,
        )
        .all() as { session_id: string; meta: string }[]
      const setAgent = db.prepare(
        'UPDATE sessions SET browser = ?, os = ?, device = ? WHERE id = ?',
      )
      for (const page of firstPages) {
        const { userAgent } = JSON.parse(page.meta) as { userAgent?: string }
        if (!userAgent) continue
        const agent = parseUserAgent(userAgent)
        setAgent.run(agent.browser, agent.os, agent.device, page.session_id)
      }

      // better-sqlite3 cannot write while a read is iterating: gather, then write.
      const found: [string, string, number][] = []
      const chunks = db
        .prepare('SELECT session_id, first_ts, body FROM chunks')
        .iterate() as IterableIterator<{
        session_id: string
        first_ts: number | null
        body: Buffer
      }>
      for (const chunk of chunks) {
        const { events } = JSON.parse(gunzipSync(chunk.body).toString('utf8')) as {
          events: { type: number; data?: unknown }[]
        }
        for (const message of errorMessagesOf(events)) {
          found.push([chunk.session_id, message, chunk.first_ts ?? 0])
        }
      }
      const addError = db.prepare(
        `INSERT INTO errors (session_id, message, first_seen) VALUES (?, ?, ?)
         ON CONFLICT DO UPDATE SET count = count + 1`,
      )
      for (const row of found) addError.run(...row)
    },
  },
  {
    version: 3,
    description: 'pinned sessions, stored bytes per session, and the offline asset cache',
    sql: `
      ALTER TABLE sessions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE sessions ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;

      -- One row per distinct content; urls point at it, so a file used by many pages is kept
      -- once.
      CREATE TABLE asset_blobs (
        hash TEXT PRIMARY KEY,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        body BLOB NOT NULL,
        stored_at INTEGER NOT NULL
      );

      -- Every asset URL seen: 'pending' until fetched, then 'ok' with its hash or 'failed'
      -- with the reason. Depth 0 is named by a recording, 1 by a stylesheet of depth 0...
      CREATE TABLE asset_urls (
        url TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed')),
        hash TEXT REFERENCES asset_blobs (hash),
        error TEXT,
        depth INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX asset_urls_by_hash ON asset_urls (hash);
      CREATE INDEX asset_urls_pending ON asset_urls (status) WHERE status = 'pending';

      -- Which session uses which URL: what deletion and retention free when a session goes.
      CREATE TABLE session_assets (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        PRIMARY KEY (session_id, url)
      ) WITHOUT ROWID;
      CREATE INDEX session_assets_by_url ON session_assets (url);
    `,
    backfill(db) {
      db.exec(
        `UPDATE sessions SET stored_bytes =
           (SELECT coalesce(sum(length(body)), 0) FROM chunks WHERE session_id = sessions.id)`,
      )

      // Sessions recorded before the cache get their asset URLs listed, pending: the
      // fetcher picks them up when the collector next runs.
      const found: [string, string][] = []
      const chunks = db
        .prepare('SELECT session_id, body FROM chunks ORDER BY session_id, page_id, seq')
        .iterate() as IterableIterator<{ session_id: string; body: Buffer }>
      for (const chunk of chunks) {
        const { events } = JSON.parse(gunzipSync(chunk.body).toString('utf8')) as {
          events: unknown[]
        }
        for (const url of collectAssetUrls(events)) found.push([chunk.session_id, url])
      }
      const link = db.prepare(
        'INSERT OR IGNORE INTO session_assets (session_id, url) VALUES (?, ?)',
      )
      const add = db.prepare(
        `INSERT OR IGNORE INTO asset_urls (url, status, updated_at) VALUES (?, 'pending', 0)`,
      )
      for (const [sessionId, url] of found) {
        link.run(sessionId, url)
        add.run(url)
      }
    },
  },
]

export const LATEST_VERSION = migrations[migrations.length - 1]!.version
