import type { IncomingMessage, ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { gzip } from 'node:zlib'
import { promisify } from 'node:util'
import { batchSchema } from '../../shared/batchSchema'
import { errorMessagesOf, INGEST_PATH, LIMITS, SNIPPET_PATH } from '../../shared/wire'
import type { Batch } from '../../shared/wire'
import type { IngestOutcome, Store } from '../store/Store'
import type { SessionIndex } from '../index/SessionIndex'
import { ASSET_PATH, isAssetUrl, mapCssUrls } from '../../shared/assetUrls'
import type { AssetFetcher } from '../assets/AssetFetcher'
import type { Logger } from '../logger'
import { exceedsJsonDepth } from './exceedsJsonDepth'
import { inflate, isGzip, readBody, RequestError } from './readBody'

const gzipAsync = promisify(gzip)

/** Content types a page can send without a CORS preflight, plus JSON for scripts. */
const ACCEPTED_TYPES = new Set(['', 'text/plain', 'application/octet-stream', 'application/json'])

export interface CollectorOptions {
  store: Store
  index: SessionIndex
  /** The built snippet bundle served at `/snippet.js`. */
  snippetFile: string
  /** Fetches the assets of stored batches; without it nothing is fetched. */
  assets?: AssetFetcher
  logger?: Logger
  /** Showing a bundle: batches are refused, since they would be lost on exit. */
  readOnly?: boolean
}

/** How long a session's event count and end time may lag in the index. */
const STALE_REFRESH_MS = 1000

interface PendingBatch {
  batch: Batch
  gzippedBody: Buffer
  resolve(outcome: IngestOutcome): void
  reject(error: Error): void
}

/**
 * Sent with every cached asset. The hash in the path is the only way to name one, so there
 * is no token (a replay frame has none). An asset is data, never a page: opened on its own,
 * an SVG runs no script (`sandbox`), nothing is sniffed into another type, and anything that
 * is not an image, font or stylesheet is a download.
 */
const ASSET_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'public, max-age=31536000, immutable',
  // The desktop window's replay is not on this origin, and must still show the images.
  'Cross-Origin-Resource-Policy': 'cross-origin',
}

/**
 * The part of the server any web page may reach: the snippet and the ingest endpoint, both
 * open to every origin, and cached assets by hash. A batch is acknowledged only once its
 * transaction has committed.
 */
export class Collector {
  private waiting: PendingBatch[] = []
  /** Sessions whose counts and times the index shows out of date, refreshed shortly. */
  private readonly stale = new Set<string>()
  private staleTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: CollectorOptions) {}

  /** Answers the request if it is the collector's; returns false to let others route it. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const asset = path.startsWith(ASSET_PATH)
    if (path !== INGEST_PATH && path !== SNIPPET_PATH && !asset) return false

    // CORS is for the snippet and ingest alone: no page may read an asset's bytes.
    if (!asset) res.setHeader('Access-Control-Allow-Origin', '*')
    if (req.method === 'OPTIONS' && !asset) {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'Content-Type',
        'Access-Control-Max-Age': '86400',
      })
      res.end()
      return true
    }

    try {
      if (path === SNIPPET_PATH) await this.serveSnippet(req, res)
      else if (asset) this.serveAsset(req, res, path.slice(ASSET_PATH.length))
      else await this.ingest(req, res)
    } catch (error) {
      if (!(error instanceof RequestError)) throw error
      sendText(res, error.status, error.message)
    }
    return true
  }

  private async serveSnippet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new RequestError(405, 'use GET for the snippet')
    }
    const code = await readFile(this.options.snippetFile).catch(() => {
      throw new RequestError(503, 'the snippet is not built: run `npm run build`')
    })
    res.writeHead(200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Content-Length': code.length,
    })
    res.end(req.method === 'HEAD' ? undefined : code)
  }

  /**
   * Brings the index up to date with committed batches. A batch that can change what a
   * search finds (page meta, tags, identity, errors) updates its session at once. One that
   * only adds events changes nothing searchable, only counts and times shown in the list:
   * those sessions are refreshed together a moment later, so a busy session is summarised
   * once per interval instead of once per batch.
   */
  private catchUp(group: PendingBatch[], outcomes: (IngestOutcome | Error)[]): void {
    const now = new Set<string>()
    group.forEach(({ batch }, i) => {
      if (outcomes[i] !== 'stored') return
      if (batch.meta || batch.commands.length > 0 || errorMessagesOf(batch.events).length > 0) {
        now.add(batch.sid)
      } else {
        this.stale.add(batch.sid)
      }
      this.options.assets?.enqueue(batch.sid, batch.events)
    })
    this.refresh(now)

    if (this.stale.size > 0 && !this.staleTimer) {
      this.staleTimer = setTimeout(() => this.refreshStale(), STALE_REFRESH_MS)
      this.staleTimer.unref()
    }
  }

  private refresh(sessionIds: Iterable<string>): void {
    for (const sid of sessionIds) {
      this.stale.delete(sid)
      const summary = this.options.store.getSummary(sid)
      if (summary) this.options.index.upsert(summary)
    }
  }

  private refreshStale(): void {
    this.staleTimer = undefined
    try {
      this.refresh([...this.stale])
    } catch (error) {
      // A timer is a boundary; the next batch of these sessions tries again.
      this.options.logger?.error({ err: error }, 'index update failed')
    }
  }

  /** Brings the index fully up to date; call before closing the store. */
  stop(): void {
    clearTimeout(this.staleTimer)
    this.refreshStale()
  }

  private serveAsset(req: IncomingMessage, res: ServerResponse, hash: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new RequestError(405, 'use GET for an asset')
    }
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new RequestError(404, 'no such asset')
    const asset = this.options.store.getAsset(hash)
    if (!asset) throw new RequestError(404, 'no such asset')

    const { contentType } = asset
    const body = contentType.startsWith('text/css') ? this.localStylesheet(asset.body) : asset.body
    const displayable = /^(image\/|font\/|text\/css)/.test(contentType)
    res.writeHead(200, {
      ...ASSET_HEADERS,
      'Content-Type': contentType,
      'Content-Length': body.length,
      'Content-Disposition':
        displayable && contentType !== 'image/svg+xml' ? 'inline' : 'attachment',
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  /**
   * A cached stylesheet with its `url()`s (made absolute when it was fetched) pointing at
   * their cached copies, and emptied where there is none: a replay reaches out for nothing.
   */
  private localStylesheet(body: Buffer): Buffer {
    const css = mapCssUrls(body.toString('utf8'), (url) => {
      if (!isAssetUrl(url)) return url
      const hash = this.options.store.assetHashes([url]).get(url)
      return hash ? `${ASSET_PATH}${hash}` : ''
    })
    return Buffer.from(css, 'utf8')
  }

  private async ingest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new RequestError(405, 'use POST to send a batch')
    if (this.options.readOnly) {
      throw new RequestError(403, 'this Replaydesk shows a bundle read-only and records nothing')
    }

    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!ACCEPTED_TYPES.has(type)) {
      throw new RequestError(415, `content type ${type} is not accepted; send text/plain`)
    }

    const body = await readBody(req, LIMITS.maxBodyBytes)
    const gzipped = isGzip(body)
    const json = gzipped ? await inflate(body, LIMITS.maxInflatedBytes) : body
    if (exceedsJsonDepth(json, LIMITS.maxJsonDepth)) {
      throw new RequestError(422, `JSON nests deeper than ${LIMITS.maxJsonDepth} levels`)
    }

    let parsed: unknown
    try {
      parsed = JSON.parse(json.toString('utf8'))
    } catch {
      throw new RequestError(400, 'body is not valid JSON')
    }

    const result = batchSchema.safeParse(parsed)
    if (!result.success) {
      const issue = result.error.issues[0]!
      const where = issue.path.length ? `${issue.path.join('.')}: ` : ''
      throw new RequestError(422, `invalid batch: ${where}${issue.message}`)
    }

    const batch = result.data
    const stored = gzipped ? body : await gzipAsync(json)
    const outcome = await this.commit(batch, stored)

    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ ok: true, duplicate: outcome === 'duplicate' }))
    this.options.logger?.debug({ outcome, bytes: body.length }, 'batch')
  }

  /**
   * Group commit. Batches checked in the same turn of the event loop are committed in one
   * transaction at the end of it, and each request is answered only once that commit is
   * done. Under load this turns hundreds of commits into a few; a lone batch waits for
   * nothing but the current turn.
   */
  private commit(batch: Batch, gzippedBody: Buffer): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, gzippedBody, resolve, reject })
      if (this.waiting.length === 1) setImmediate(() => this.commitWaiting())
    })
  }

  private commitWaiting(): void {
    const group = this.waiting
    this.waiting = []
    const { store } = this.options

    let outcomes: (IngestOutcome | Error)[]
    try {
      outcomes = store.ingestMany(group)
    } catch {
      // One bad batch must not fail the others: commit them one by one instead.
      outcomes = group.map((item) => {
        try {
          return store.ingest(item.batch, item.gzippedBody)
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error))
        }
      })
    }

    // The batches are committed; the index and the asset fetcher catch up before replies.
    // Neither may keep a committed batch from being acknowledged.
    try {
      this.catchUp(group, outcomes)
    } catch (error) {
      this.options.logger?.error({ err: error }, 'index or asset update failed')
    }

    group.forEach((item, i) => {
      const outcome = outcomes[i]!
      if (outcome instanceof Error) item.reject(outcome)
      else item.resolve(outcome)
    })
  }
}

export function sendText(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end()
    return
  }
  // After a refused body the rest of it is never read, so the connection cannot be reused.
  const close = status === 413 ? { Connection: 'close' } : {}
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...close })
  res.end(`${message}\n`)
}
