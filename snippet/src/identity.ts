/**
 * Who and where a batch comes from: the session (localStorage, 30 minutes of inactivity),
 * the tab (sessionStorage) and the page view (one per load or virtual page).
 */
const SESSION_KEY = 'replaydesk:session'
const TAB_KEY = 'replaydesk:tab'
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000

export function randomId(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function readStorage(storage: () => Storage, key: string): string | null {
  try {
    return storage().getItem(key)
  } catch {
    return null
  }
}

function writeStorage(storage: () => Storage, key: string, value: string): void {
  try {
    storage().setItem(key, value)
  } catch {
    // Storage can be full or forbidden; the ids then last as long as this page.
  }
}

const local = () => localStorage
const perTab = () => sessionStorage

/** The session continues across page loads until 30 minutes pass without activity. */
export function findSessionId(now: number): string {
  const saved = readStorage(local, SESSION_KEY)
  if (saved) {
    try {
      const { id, at } = JSON.parse(saved) as { id: unknown; at: number }
      if (typeof id === 'string' && now - at < SESSION_TIMEOUT_MS) return id
    } catch {
      // A damaged entry starts a new session.
    }
  }
  return randomId()
}

export function touchSession(id: string): void {
  writeStorage(local, SESSION_KEY, JSON.stringify({ id, at: Date.now() }))
}

interface TabEntry {
  id: string
  /** The live document that uses this tab id, or null once it has gone (pagehide). */
  owner: string | null
}

/**
 * The tab id, kept in sessionStorage so reloads and navigations in one tab share it.
 *
 * Browsers copy sessionStorage into a duplicated tab (and into windows opened with an
 * opener), so a copied id alone cannot tell a reload from a twin. Each document therefore
 * writes its own token next to the id while it is alive and clears it on pagehide: a new
 * document that finds a token still set was copied from a live page, and takes a new id.
 * A tab that crashed (no pagehide) also gets a new id on its next load; that only splits
 * its pages across two tab ids.
 */
export function claimTab(owner: string): string {
  const entry = parseTab(readStorage(perTab, TAB_KEY))
  const id = entry && typeof entry.id === 'string' && !entry.owner ? entry.id : randomId()
  writeTab({ id, owner })
  return id
}

function parseTab(saved: string | null): TabEntry | null {
  try {
    return saved ? (JSON.parse(saved) as TabEntry) : null
  } catch {
    return null
  }
}

/** Called on pagehide (owner null) and on a return from the back/forward cache. */
export function writeTab(entry: TabEntry): void {
  writeStorage(perTab, TAB_KEY, JSON.stringify(entry))
}
