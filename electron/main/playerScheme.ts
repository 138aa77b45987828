import { protocol } from 'electron'
import { readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { buildPlayerCsp, isPlayerFile, PLAYER_DOCUMENT } from '../server/playerCsp'

/** The player's origin in the desktop app: a scheme of its own, with no preload and no IPC. */
export const PLAYER_SCHEME = 'replaydesk-player'
export const PLAYER_ORIGIN = `${PLAYER_SCHEME}://player`
export const PLAYER_URL = `${PLAYER_ORIGIN}/${PLAYER_DOCUMENT}`

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
}

/** Must run before the app is ready: a standard, secure scheme gets a real origin. */
export function registerPlayerScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: PLAYER_SCHEME, privileges: { standard: true, secure: true } },
  ])
}

/**
 * Serves the player's files, and nothing else, under the same policy as headless mode's
 * player origin. Only the UI window, loaded from a file, may frame it.
 */
export function servePlayerScheme(
  rendererDir: string,
  collectorUrls: () => readonly string[],
): void {
  protocol.handle(PLAYER_SCHEME, async (request) => {
    const url = new URL(request.url)
    const path = url.pathname.slice(1)
    if (url.host !== 'player' || request.method !== 'GET' || !isPlayerFile(path)) {
      return new Response('not found', { status: 404 })
    }
    const content = await readFile(join(rendererDir, path)).catch(() => null)
    if (!content) return new Response('not found', { status: 404 })
    return new Response(content, {
      headers: {
        'Content-Type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        'Content-Security-Policy': buildPlayerCsp(collectorUrls(), ['file:']),
        'X-Content-Type-Options': 'nosniff',
      },
    })
  })
}
