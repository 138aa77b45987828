/**
 * Numbered schema migrations. `PRAGMA user_version` holds the last one applied; each runs in
 * its own transaction, in order, and never changes once released: a change is a new entry.
 */
export interface Migration {
  version: number
  description: string
  sql: string
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
]

export const LATEST_VERSION = migrations[migrations.length - 1]!.version
