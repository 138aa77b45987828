import type { IncomingMessage, ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { gzip } from 'node:zlib'
import { promisify } from 'node:util'
import { batchSchema } from '../../shared/batchSchema'
import { INGEST_PATH, LIMITS, SNIPPET_PATH } from '../../shared/wire'
import type { Store } from '../store/Store'
import type { SessionIndex } from '../index/SessionIndex'
import { inflate, isGzip, readBody, RequestError } from './readBody'

const gzipAsync = promisify(gzip)

/** Content types a page can send without a CORS preflight, plus JSON for scripts. */
const ACCEPTED_TYPES = new Set(['', 'text/plain', 'application/octet-stream', 'application/json'])

export interface CollectorOptions {
  store: Store
  index: SessionIndex
  /** The built snippet bundle served at `/snippet.js`. */
  snippetFile: string
  /** Showing a bundle: batches are refused, since they would be lost on exit. */
  readOnly?: boolean
}

/**
 * The part of the server any web page may reach: the snippet and the ingest endpoint, both
 * open to every origin. A batch is acknowledged only once its transaction has committed.
 */
export class Collector {
  constructor(private readonly options: CollectorOptions) {}

  /** Answers the request if it is the collector's; returns false to let others route it. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (path !== INGEST_PATH && path !== SNIPPET_PATH) return false

    res.setHeader('Access-Control-Allow-Origin', '*')
    if (req.method === 'OPTIONS') {
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
    const outcome = this.options.store.ingest(batch, stored)

    if (outcome === 'stored') {
      const summary = this.options.store.getSummary(batch.sid)
      if (summary) this.options.index.upsert(summary)
    }
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ ok: true, duplicate: outcome === 'duplicate' }))
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
