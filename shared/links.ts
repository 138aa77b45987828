/**
 * Addresses of sessions and moments. In the UI: `#/session/ID?t=MS`. For the desktop app:
 * `replaydesk://session/ID?t=MS`, which the operating system hands to the app. `MS` counts
 * milliseconds from the session's start.
 */

export const LINK_SCHEME = 'replaydesk'

export interface SessionLink {
  id: string
  /** Milliseconds from the session's start; 0 when the link names none. */
  ms: number
}

const HASH = /^#\/session\/([\w-]{1,64})(?:\?t=(\d{1,10}))?$/
const DESKTOP = /^replaydesk:\/\/session\/([\w-]{1,64})\/?(?:\?t=(\d{1,10}))?$/

export function parseSessionHash(hash: string): SessionLink | null {
  const match = HASH.exec(hash)
  return match ? { id: match[1]!, ms: Number(match[2] ?? 0) } : null
}

export function formatSessionHash(id: string, ms?: number): string {
  return ms === undefined ? `#/session/${id}` : `#/session/${id}?t=${Math.max(0, Math.round(ms))}`
}

export function parseDesktopLink(url: string): SessionLink | null {
  const match = DESKTOP.exec(url)
  return match ? { id: match[1]!, ms: Number(match[2] ?? 0) } : null
}

export function formatDesktopLink(id: string, ms: number): string {
  return `${LINK_SCHEME}://session/${id}?t=${Math.max(0, Math.round(ms))}`
}
