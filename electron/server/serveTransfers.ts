import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { basename } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ApiError, type ExportSelection } from '../../shared/api'
import { BUNDLE_EXTENSION } from '../bundle/bundleFormat'
import { BundleError } from '../bundle/readBundle'
import { sendText } from '../collector/Collector'
import { readBody, RequestError } from '../collector/readBody'
import type { Logger } from '../logger'
import type { ApiReply } from '../service/dispatchApiCall'
import type { ImportSource, Transfers } from '../service/Transfers'

const UPLOAD_SUFFIX = '.upload'

/** The largest bundle the headless UI uploads; the CLI's `import` has no such limit. */
export const MAX_UPLOAD_BYTES = 16 * 1024 ** 3

/** A bundle opened read-only beside this library, served on a port of its own. */
export interface OpenedView {
  uiUrl: string
  stop(): Promise<void>
}

export interface TransferRoutes {
  transfers: Transfers
  /** Serves a bundle file read-only and returns where its UI is. */
  openBundle(file: string, name: string): Promise<OpenedView>
}

/**
 * The headless UI's file transfers, beside `/api/`: bundles go up as raw request bodies and
 * come down as downloads, which a JSON call cannot carry.
 *
 *   POST /transfer/upload?name=F     the bundle's bytes → { uploadId }
 *   POST /transfer/import            { uploads: [uploadId…] } → the import job
 *   POST /transfer/export            { ids } or { query } → the export job
 *   GET  /transfer/download/ID?token the finished export, as an attachment
 *   POST /transfer/open?name=F       the bundle's bytes → { url } of a read-only view
 */
export class TransferServer {
  private readonly uploads = new Map<string, ImportSource>()
  private readonly views: OpenedView[] = []

  constructor(
    private readonly routes: TransferRoutes,
    private readonly token: string,
    private readonly logger: Logger,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const download = /^download\/([\w-]+)$/.exec(path)
    if (download && req.method === 'GET') {
      if (url.searchParams.get('token') !== this.token) return sendText(res, 401, 'wrong token')
      return this.sendDownload(res, download[1]!)
    }

    if (req.method !== 'POST') return sendText(res, 405, 'use POST')
    if (req.headers['x-replaydesk-token'] !== this.token) {
      return sendText(res, 401, 'missing or wrong token')
    }

    try {
      const name = fileName(url.searchParams.get('name'))
      if (path === 'upload') return reply(res, { uploadId: await this.receive(req, name) })
      if (path === 'import') return reply(res, this.startImport(await readJson(req)))
      if (path === 'export') return reply(res, this.startExport(await readJson(req)))
      if (path === 'open') return reply(res, await this.open(req, name))
      return sendText(res, 404, 'not found')
    } catch (error) {
      if (error instanceof RequestError) return sendText(res, error.status, error.message)
      if (error instanceof ApiError) return answer(res, { error: errorBody(error) })
      if (error instanceof BundleError) {
        return answer(res, { error: { code: 'bad_query', message: error.message } })
      }
      throw error
    }
  }

  /** Stops the read-only views this UI opened. */
  async stop(): Promise<void> {
    await Promise.all(this.views.splice(0).map((view) => view.stop()))
  }

  private async receive(req: IncomingMessage, name: string): Promise<string> {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > MAX_UPLOAD_BYTES) {
      throw new RequestError(413, `the file is larger than ${MAX_UPLOAD_BYTES} bytes`)
    }

    const path = this.routes.transfers.scratchFile(UPLOAD_SUFFIX)
    let size = 0
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length
        if (size > MAX_UPLOAD_BYTES) {
          done(new RequestError(413, `the file is larger than ${MAX_UPLOAD_BYTES} bytes`))
        } else done(null, chunk)
      },
    })
    try {
      await pipeline(req, limit, createWriteStream(path))
    } catch (error) {
      await rm(path, { force: true })
      throw error
    }

    const uploadId = basename(path, UPLOAD_SUFFIX)
    this.uploads.set(uploadId, { path, name, temporary: true })
    return uploadId
  }

  private startImport(body: unknown) {
    const ids = (body as { uploads?: unknown })?.uploads
    if (!Array.isArray(ids) || ids.length === 0) {
      throw new ApiError('bad_query', 'give the uploads to import')
    }
    const sources = ids.map((id) => {
      const source = this.uploads.get(String(id))
      if (!source) throw new ApiError('not_found', `no upload ${String(id)}`)
      return source
    })
    for (const id of ids) this.uploads.delete(String(id))
    return this.routes.transfers.startImport(sources)
  }

  private startExport(body: unknown) {
    return this.routes.transfers.startExport(
      body as ExportSelection,
      undefined,
      (id) => `/transfer/download/${id}?token=${encodeURIComponent(this.token)}`,
    )
  }

  private async open(req: IncomingMessage, name: string): Promise<{ url: string }> {
    const uploadId = await this.receive(req, name)
    const upload = this.uploads.get(uploadId)!
    this.uploads.delete(uploadId)
    try {
      const view = await this.routes.openBundle(upload.path, name)
      this.views.push(view)
      this.logger.info({ views: this.views.length }, 'opened a bundle read-only')
      return { url: view.uiUrl }
    } finally {
      // The view holds its own copy in a scratch store; the upload is no longer needed.
      await rm(upload.path, { force: true })
    }
  }

  private async sendDownload(res: ServerResponse, id: string): Promise<void> {
    const found = this.routes.transfers.download(id)
    const size = found
      ? await stat(found.path).then(
          (s) => s.size,
          () => null,
        )
      : null
    if (!found || size === null) return sendText(res, 404, 'no such export, or it has expired')

    res.writeHead(200, {
      'Content-Type': 'application/x-tar',
      'Content-Length': size,
      'Content-Disposition': `attachment; filename="${found.name}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    })
    await pipeline(createReadStream(found.path), res)
  }
}

/** A name to show for an uploaded file: its last path part, printable, not too long. */
function fileName(given: string | null): string {
  const name = (given ?? '')
    .split(/[\\/]/)
    .pop()!
    .replace(/[\p{C}"]/gu, '')
    .slice(0, 200)
  return name || `bundle${BUNDLE_EXTENSION}`
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  try {
    return JSON.parse((await readBody(req, 16 * 1024 * 1024)).toString('utf8'))
  } catch (error) {
    if (error instanceof RequestError) throw error
    throw new RequestError(400, 'the body is not valid JSON')
  }
}

function errorBody(error: ApiError) {
  return { code: error.code, message: error.message }
}

function reply(res: ServerResponse, result: unknown): void {
  answer(res, { result })
}

function answer(res: ServerResponse, body: ApiReply): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify(body))
}
