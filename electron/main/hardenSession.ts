import type { Session, WebContents } from 'electron'
import { PLAYER_ORIGIN } from './playerScheme'

/** What the window may load: its own files, the player, in-memory data, and the collector. */
function isAllowedRequest(url: string, collectorUrls: readonly string[]): boolean {
  if (/^(file|data|blob|devtools):/.test(url)) return true
  if (url.startsWith(`${PLAYER_ORIGIN}/`)) return true
  return collectorUrls.some((collector) => url.startsWith(`${new URL(collector).origin}/`))
}

/**
 * Denies everything a recording could ask of the browser: permissions, downloads, and any
 * request beyond the app's own files and the collector (whose asset cache serves what a
 * replay shows). The player's CSP refuses those first; this holds even if it did not.
 * `collectorUrls` are those of the library and of every bundle open in a window.
 */
export function hardenSession(session: Session, collectorUrls: () => readonly string[]): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.on('will-download', (event) => event.preventDefault())
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(details.url, collectorUrls()) })
  })
}

/** No navigation anywhere: the window stays on the UI, the player frame on the player. */
export function lockNavigation(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault())
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame) return event.preventDefault()
    const url = event.url
    const isPlayer = url.startsWith(`${PLAYER_ORIGIN}/`)
    if (!isPlayer && url !== 'about:blank' && url !== 'about:srcdoc') event.preventDefault()
  })
}
