/**
 * The rows of one session as a bundle carries them, and how they merge into a store. Kept
 * beside Store so that only electron/store/ knows the schema.
 */
import type Database from 'better-sqlite3'
import { z } from 'zod'
import { isAssetUrl } from '../../shared/assetUrls'

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)
const ms = z.number().int()
const sha256 = z.string().regex(/^[0-9a-f]{64}$/)

/** One session in a bundle: everything kept about it except the event chunks' bytes. */
export const sessionRecordSchema = z.object({
  session: z.object({
    id,
    site: z.string().max(64).nullable(),
    identity: z.string().max(1024).nullable(),
    identity_at: ms.nullable(),
    started_at: ms,
    ended_at: ms,
    received_at: ms,
    browser: z.string().max(64).nullable(),
    os: z.string().max(64).nullable(),
    device: z.string().max(16).nullable(),
  }),
  pages: z.array(
    z.object({
      id,
      tab_id: id,
      url: z.string().max(4096),
      title: z.string().max(1024),
      meta: z.string().max(16_384).nullable(),
      started_at: ms,
      ended_at: ms,
    }),
  ),
  tags: z.array(
    z.object({
      key: z.string().max(128),
      value: z.string().max(4096),
      first_seen: ms,
      updated_at: ms,
    }),
  ),
  stringTags: z.array(z.object({ tag: z.string().max(1024), first_seen: ms })),
  errors: z.array(z.object({ message: z.string().max(1024), first_seen: ms, count: ms })),
  chunks: z.array(
    z.object({
      tab_id: id,
      page_id: id,
      seq: z.number().int().min(0),
      first_ts: ms.nullable(),
      last_ts: ms.nullable(),
      event_count: z.number().int().min(0),
      has_full_snapshot: z.union([z.literal(0), z.literal(1)]),
      received_at: ms,
    }),
  ),
  /**
   * The asset URLs the session uses, stylesheets' own included, each with the hash and
   * type of its cached content, or nulls when none is cached. Absent from version 1.
   */
  assets: z
    .array(
      z
        .object({
          url: z.string().refine(isAssetUrl),
          hash: sha256.nullable(),
          type: z.string().max(128).nullable(),
        })
        .refine((a) => (a.hash === null) === (a.type === null)),
    )
    .optional(),
})

export type SessionRecord = z.infer<typeof sessionRecordSchema>
export type SessionAsset = NonNullable<SessionRecord['assets']>[number]
export type ChunkKey = Pick<SessionRecord['chunks'][number], 'tab_id' | 'page_id' | 'seq'>

/** Reads one session's rows for a bundle; undefined when there is no such session. */
export function readSessionRecord(db: Database.Database, sessionId: string) {
  const session = db
    .prepare(
      `SELECT id, site, identity, identity_at, started_at, ended_at, received_at, browser, os,
              device
       FROM sessions WHERE id = ?`,
    )
    .get(sessionId) as SessionRecord['session'] | undefined
  if (!session) return undefined

  const all = <T>(sql: string) => db.prepare(sql).all(sessionId) as T[]
  const record: SessionRecord = {
    session,
    pages: all(
      `SELECT id, tab_id, url, title, meta, started_at, ended_at FROM pages
       WHERE session_id = ? ORDER BY started_at, id`,
    ),
    tags: all('SELECT key, value, first_seen, updated_at FROM tags WHERE session_id = ?'),
    stringTags: all('SELECT tag, first_seen FROM string_tags WHERE session_id = ?'),
    errors: all('SELECT message, first_seen, count FROM errors WHERE session_id = ?'),
    chunks: all(
      `SELECT tab_id, page_id, seq, first_ts, last_ts, event_count, has_full_snapshot,
              received_at
       FROM chunks WHERE session_id = ? ORDER BY tab_id, page_id, seq`,
    ),
    // A URL counts as cached only when its content is really there.
    assets: all(
      `SELECT sa.url, b.hash, b.content_type AS type
       FROM session_assets sa
       LEFT JOIN asset_urls u ON u.url = sa.url AND u.status = 'ok'
       LEFT JOIN asset_blobs b ON b.hash = u.hash
       WHERE sa.session_id = ? ORDER BY sa.url`,
    ),
  }
  return record
}

export function readChunkBody(db: Database.Database, sessionId: string, key: ChunkKey): Buffer {
  const row = db
    .prepare(
      'SELECT body FROM chunks WHERE session_id = ? AND tab_id = ? AND page_id = ? AND seq = ?',
    )
    .get(sessionId, key.tab_id, key.page_id, key.seq) as { body: Buffer } | undefined
  if (!row) throw new Error(`chunk ${key.page_id}/${key.seq} of ${sessionId} vanished`)
  return row.body
}

/** Writes a session's rows, without chunk bodies, into an empty staging store. */
export function stageSessionRecord(db: Database.Database, record: SessionRecord): void {
  const s = record.session
  db.prepare(
    `INSERT INTO sessions (id, site, identity, identity_at, started_at, ended_at, event_count,
                           received_at, browser, os, device)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
  ).run(
    s.id,
    s.site,
    s.identity,
    s.identity_at,
    s.started_at,
    s.ended_at,
    s.received_at,
    s.browser,
    s.os,
    s.device,
  )

  const page = db.prepare(
    `INSERT INTO pages (session_id, id, tab_id, url, title, meta, started_at, ended_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  for (const p of record.pages) {
    page.run(s.id, p.id, p.tab_id, p.url, p.title, p.meta, p.started_at, p.ended_at)
  }
  const tag = db.prepare(
    'INSERT INTO tags (session_id, key, value, first_seen, updated_at) VALUES (?, ?, ?, ?, ?)',
  )
  for (const t of record.tags) tag.run(s.id, t.key, t.value, t.first_seen, t.updated_at)
  const stringTag = db.prepare(
    'INSERT INTO string_tags (session_id, tag, first_seen) VALUES (?, ?, ?)',
  )
  for (const t of record.stringTags) stringTag.run(s.id, t.tag, t.first_seen)
  const error = db.prepare(
    'INSERT INTO errors (session_id, message, first_seen, count) VALUES (?, ?, ?, ?)',
  )
  for (const e of record.errors) error.run(s.id, e.message, e.first_seen, e.count)
}

export function stageChunk(
  db: Database.Database,
  sessionId: string,
  chunk: SessionRecord['chunks'][number],
  body: Buffer,
): void {
  db.prepare(
    `INSERT INTO chunks (session_id, tab_id, page_id, seq, first_ts, last_ts, event_count,
                         has_full_snapshot, body, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    sessionId,
    chunk.tab_id,
    chunk.page_id,
    chunk.seq,
    chunk.first_ts,
    chunk.last_ts,
    chunk.event_count,
    chunk.has_full_snapshot,
    body,
    chunk.received_at,
  )
}

/** Writes one asset's content into a staging store; its URLs follow in stageCachedUrls. */
export function stageAssetBlob(
  db: Database.Database,
  asset: { hash: string; contentType: string; body: Buffer },
  now: number,
): void {
  db.prepare(
    `INSERT OR IGNORE INTO asset_blobs (hash, content_type, size, body, stored_at)
     VALUES (?, ?, ?, ?, ?)`,
  ).run(asset.hash, asset.contentType, asset.body.length, asset.body, now)
}

/** Points staged asset URLs, listed pending, at their staged content. */
export function stageCachedUrls(
  db: Database.Database,
  hashes: ReadonlyMap<string, string>,
  now: number,
): void {
  const cached = db.prepare(
    `UPDATE asset_urls SET status = 'ok', hash = ?, error = NULL, updated_at = ? WHERE url = ?`,
  )
  db.transaction(() => {
    for (const [url, hash] of hashes) cached.run(hash, now, url)
  })()
}

/**
 * Merges a staging store into the main one in one transaction. Merging follows ingest's
 * rules, so a session present on both sides ends up as if every batch had arrived here:
 * chunks are kept once by address, a tag's latest value wins, spans widen, and counts are
 * recomputed from the chunks rather than added. Returns how many sessions were new.
 */
export function mergeStaged(db: Database.Database, stagingFile: string): number {
  db.prepare('ATTACH DATABASE ? AS bundle').run(stagingFile)
  try {
    return db.transaction(() => {
      const before = db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }
      db.exec(MERGE_SQL)
      const after = db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }
      return after.n - before.n
    })()
  } finally {
    db.exec('DETACH DATABASE bundle')
  }
}

const MERGE_SQL = `
  INSERT INTO sessions (id, site, identity, identity_at, started_at, ended_at, event_count,
                        received_at, browser, os, device)
  SELECT id, site, identity, identity_at, started_at, ended_at, 0, received_at, browser, os,
         device
  FROM bundle.sessions WHERE true
  ON CONFLICT (id) DO UPDATE SET
    site = coalesce(site, excluded.site),
    identity = CASE WHEN coalesce(excluded.identity_at, -1) > coalesce(identity_at, -1)
                    THEN excluded.identity ELSE identity END,
    identity_at = max(coalesce(identity_at, -1), coalesce(excluded.identity_at, -1)),
    started_at = min(started_at, excluded.started_at),
    ended_at = max(ended_at, excluded.ended_at),
    browser = coalesce(browser, excluded.browser),
    os = coalesce(os, excluded.os),
    device = coalesce(device, excluded.device);

  UPDATE sessions SET identity_at = NULL WHERE identity_at = -1;

  INSERT INTO pages (session_id, id, tab_id, url, title, meta, started_at, ended_at)
  SELECT session_id, id, tab_id, url, title, meta, started_at, ended_at
  FROM bundle.pages WHERE true
  ON CONFLICT (session_id, id) DO UPDATE SET
    url = CASE WHEN meta IS NULL THEN excluded.url ELSE url END,
    title = CASE WHEN meta IS NULL THEN excluded.title ELSE title END,
    meta = coalesce(meta, excluded.meta),
    started_at = min(started_at, excluded.started_at),
    ended_at = max(ended_at, excluded.ended_at);

  INSERT INTO tags (session_id, key, value, first_seen, updated_at)
  SELECT session_id, key, value, first_seen, updated_at FROM bundle.tags WHERE true
  ON CONFLICT (session_id, key) DO UPDATE SET
    value = CASE WHEN excluded.updated_at > updated_at THEN excluded.value ELSE value END,
    first_seen = min(first_seen, excluded.first_seen),
    updated_at = max(updated_at, excluded.updated_at);

  INSERT INTO string_tags (session_id, tag, first_seen)
  SELECT session_id, tag, first_seen FROM bundle.string_tags WHERE true
  ON CONFLICT (session_id, tag) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen);

  INSERT INTO errors (session_id, message, first_seen, count)
  SELECT session_id, message, first_seen, count FROM bundle.errors WHERE true
  ON CONFLICT (session_id, message) DO UPDATE SET
    first_seen = min(first_seen, excluded.first_seen),
    count = max(count, excluded.count);

  INSERT OR IGNORE INTO chunks
  SELECT * FROM bundle.chunks;

  UPDATE pages SET event_count = coalesce((
    SELECT sum(c.event_count) FROM chunks c
    WHERE c.session_id = pages.session_id AND c.page_id = pages.id), 0)
  WHERE session_id IN (SELECT id FROM bundle.sessions);

  UPDATE sessions SET
    event_count = coalesce((
      SELECT sum(c.event_count) FROM chunks c WHERE c.session_id = sessions.id), 0),
    stored_bytes = coalesce((
      SELECT sum(length(c.body)) FROM chunks c WHERE c.session_id = sessions.id), 0)
  WHERE id IN (SELECT id FROM bundle.sessions);

  -- Cached contents come with the bundle (version 2). A URL this store has pending or
  -- failed becomes cached; one it has cached keeps its own content. URLs the bundle has no
  -- content for are listed as pending: the collector's fetcher picks them up when it next
  -- runs, as for sessions recorded before the cache existed.
  INSERT OR IGNORE INTO asset_blobs (hash, content_type, size, body, stored_at)
  SELECT hash, content_type, size, body, stored_at FROM bundle.asset_blobs;

  INSERT INTO asset_urls (url, status, hash, updated_at)
  SELECT url, status, hash, CASE WHEN status = 'ok' THEN updated_at ELSE 0 END
  FROM bundle.asset_urls WHERE true
  ON CONFLICT (url) DO UPDATE SET
    status = 'ok', hash = excluded.hash, error = NULL, updated_at = excluded.updated_at
  WHERE excluded.status = 'ok' AND asset_urls.status <> 'ok';

  -- Contents only URLs this store already had cached otherwise would point at.
  DELETE FROM asset_blobs
  WHERE hash IN (SELECT hash FROM bundle.asset_blobs)
    AND hash NOT IN (SELECT hash FROM asset_urls WHERE hash IS NOT NULL);

  INSERT OR IGNORE INTO session_assets (session_id, url)
  SELECT session_id, url FROM bundle.session_assets;
`
