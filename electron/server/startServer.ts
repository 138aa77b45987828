import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { ReplaydeskApi } from '../../shared/api'
import { Collector, sendText } from '../collector/Collector'
import { dispatchApiCall } from '../service/dispatchApiCall'
import type { Logger } from '../logger'
import { readBody, RequestError } from '../collector/readBody'
import { startPlayerServer } from './startPlayerServer'
import { TransferServer, type TransferRoutes } from './serveTransfers'

/** The collector's port unless `--port` says otherwise. */
export const DEFAULT_PORT = 8731

/** The header that carries the per-run token on API calls. */
export const TOKEN_HEADER = 'x-replaydesk-token'

/**
 * The UI document's policy. The replay itself runs in the player frame, on the player's own
 * origin, the only other document the UI may frame.
 */
function buildUiCsp(playerOrigin: string | null): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    `frame-src 'self' about:${playerOrigin ? ` ${playerOrigin}` : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
}

export interface ServerOptions {
  port: number
  collector: Collector
  logger: Logger
  /** Headless mode: the UI's files and the API it calls over HTTP. */
  ui?: { dir: string; api: ReplaydeskApi; token: string; transfers?: TransferRoutes }
}

export interface RunningServer {
  /** `http://127.0.0.1:PORT`: where pages load the snippet and send batches. */
  collectorUrl: string
  /** The UI's address with its token, in headless mode. */
  uiUrl: string | null
  /** The player document on its own origin, in headless mode. */
  playerUrl: string | null
  close(): Promise<void>
}

/** One loopback HTTP server for the collector and, in headless mode, the UI and its API. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  let port = options.port
  let uiCsp = buildUiCsp(null)
  const ui = options.ui
  const transfers = ui?.transfers
    ? new TransferServer(ui.transfers, ui.token, options.logger)
    : undefined
  const server = createServer((req, res) => {
    route(req, res, port, uiCsp, options, transfers).catch((error: unknown) => {
      options.logger.error({ err: error }, 'request failed')
      sendText(res, 500, 'internal error; see the log')
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port

  const collectorUrl = `http://127.0.0.1:${port}`
  const player = options.ui
    ? await startPlayerServer({ dir: options.ui.dir, collectorUrl, logger: options.logger })
    : null
  uiCsp = buildUiCsp(player ? new URL(player.playerUrl).origin : null)

  return {
    collectorUrl,
    uiUrl: options.ui ? `${collectorUrl}/#token=${options.ui.token}` : null,
    playerUrl: player?.playerUrl ?? null,
    close: async () => {
      await transfers?.stop()
      await player?.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  uiCsp: string,
  options: ServerOptions,
  transfers: TransferServer | undefined,
): Promise<void> {
  // A page on another site can resolve its own name to 127.0.0.1 (DNS rebinding); only
  // requests that name this server are answered.
  const host = req.headers.host ?? ''
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return sendText(res, 421, `unknown host ${JSON.stringify(host)}`)
  }

  const path = new URL(req.url ?? '/', 'http://x').pathname
  if (await options.collector.handle(req, res, path)) return

  const ui = options.ui
  if (!ui) return sendText(res, 404, 'not found')

  if (path.startsWith('/api/')) return serveApi(req, res, path.slice(5), ui, options.logger)
  if (transfers && path.startsWith('/transfer/')) {
    return transfers.handle(req, res, path.slice('/transfer/'.length))
  }
  if (req.method === 'GET' || req.method === 'HEAD') return serveFile(res, ui.dir, path, uiCsp)
  return sendText(res, 404, 'not found')
}

async function serveApi(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  ui: NonNullable<ServerOptions['ui']>,
  logger: Logger,
): Promise<void> {
  if (req.method !== 'POST') return sendText(res, 405, 'use POST for API calls')
  if (req.headers[TOKEN_HEADER] !== ui.token) return sendText(res, 401, 'missing or wrong token')

  let args: unknown
  try {
    args = JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8'))
  } catch (error) {
    if (error instanceof RequestError) return sendText(res, error.status, error.message)
    return sendText(res, 400, 'arguments are not valid JSON')
  }

  const reply = await dispatchApiCall(ui.api, method, args, (error) =>
    logger.error({ err: error, method }, 'API call failed'),
  )
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify(reply))
}

async function serveFile(
  res: ServerResponse,
  dir: string,
  path: string,
  csp: string,
): Promise<void> {
  const relative = path === '/' ? 'index.html' : decodeURIComponent(path.slice(1))
  const file = normalize(join(dir, relative))
  if (!file.startsWith(dir + sep)) return sendText(res, 404, 'not found')

  const content = await readFile(file).catch(() => null)
  if (!content) return sendText(res, 404, 'not found')

  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  })
  res.end(content)
}
