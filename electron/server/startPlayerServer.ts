import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { sendText } from '../collector/Collector'
import type { Logger } from '../logger'
import { buildPlayerCsp, isPlayerFile, PLAYER_DOCUMENT } from './playerCsp'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
}

export interface PlayerServer {
  /** The player document's address. */
  playerUrl: string
  close(): Promise<void>
}

/**
 * Headless mode's player origin: a loopback listener of its own that serves the player's
 * static files and nothing else: no API, no token. A replay that escaped rrweb's sandbox
 * would find only itself on this origin.
 */
export async function startPlayerServer(options: {
  dir: string
  collectorUrl: string
  logger: Logger
}): Promise<PlayerServer> {
  let port = 0
  const ui = new URL(options.collectorUrl)
  const csp = buildPlayerCsp(options.collectorUrl, [ui.origin, `http://localhost:${ui.port}`])

  const server = createServer((req, res) => {
    const host = req.headers.host ?? ''
    if (host !== `127.0.0.1:${port}`) return sendText(res, 421, 'unknown host')
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'read only')

    const path = new URL(req.url ?? '/', 'http://x').pathname.slice(1)
    if (!isPlayerFile(path)) return sendText(res, 404, 'not found')

    readFile(join(options.dir, path))
      .then((content) => {
        res.writeHead(200, {
          'Content-Type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
          'Content-Security-Policy': csp,
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
          'Cache-Control': 'no-store',
        })
        res.end(content)
      })
      .catch((error: unknown) => {
        options.logger.warn({ err: error, path }, 'player file missing; run npm run build')
        sendText(res, 404, 'not found')
      })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port

  return {
    playerUrl: `http://127.0.0.1:${port}/${PLAYER_DOCUMENT}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
