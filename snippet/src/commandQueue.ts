/**
 * The `__insp` command queue, Inspectlet's shape: an array the page pushes to before the
 * snippet has loaded, replaced by one whose `push` runs each command at once.
 */
import { parseTagArgument } from '../../shared/tags'
import type { Command } from './Batcher'
import { INGEST_PATH } from '../../shared/wire'
import { safely, warn } from './warn'

/** What a command asks of the recorder, once its argument has been checked. */
export type Action =
  | { kind: 'command'; command: Command }
  | { kind: 'virtualPage' }
  | { kind: 'collector'; endpoint: string }
  | { kind: 'maskAllText'; on: boolean }
  | { kind: 'stop' }
  | { kind: 'start' }

declare global {
  interface Window {
    __insp?: unknown[]
  }
}

/** Runs the commands queued so far, then every command pushed from now on. */
export function takeOverQueue(run: (action: Action) => void): void {
  const pending = Array.isArray(window.__insp) ? window.__insp : []
  const queue: unknown[] = []
  const runItem = safely((item: unknown) => {
    const action = readCommand(item)
    if (action) run(action)
  })
  queue.push = (...items: unknown[]) => {
    items.forEach(runItem)
    return queue.length
  }
  window.__insp = queue
  pending.forEach(runItem)
}

/** Checks one queued item; a malformed one is reported once and skipped (null). */
export function readCommand(item: unknown): Action | null {
  if (!Array.isArray(item) || typeof item[0] !== 'string') {
    return skip('a command is an array like ["tagSession", {...}]')
  }
  const [name, arg] = item as [string, unknown]
  const t = Date.now()

  switch (name) {
    case 'wid':
      if (typeof arg !== 'string' && typeof arg !== 'number') {
        return skip('wid takes a site id (a string or a number)')
      }
      return { kind: 'command', command: { op: 'wid', t, value: arg } }
    case 'identify':
      if (typeof arg !== 'string' || arg === '') return skip('identify takes a non-empty string')
      return { kind: 'command', command: { op: 'identify', t, value: arg } }
    case 'tagSession': {
      const parsed = parseTagArgument(arg)
      if (!parsed.ok) return skip(`tagSession: ${parsed.reason}`)
      return { kind: 'command', command: { op: 'tag', t, value: parsed.tag } }
    }
    case 'virtualPage':
      return { kind: 'virtualPage' }
    case 'collector': {
      const endpoint = ingestEndpoint(arg)
      if (!endpoint) return skip('collector takes an http(s) URL like "https://rec.example.com"')
      return { kind: 'collector', endpoint }
    }
    case 'maskAllText':
      if (typeof arg !== 'boolean') return skip('maskAllText takes true or false')
      return { kind: 'maskAllText', on: arg }
    case 'stop':
    case 'start':
      return { kind: name }
    default:
      return skip(`unknown command ${JSON.stringify(name).slice(0, 64)}`)
  }
}

function skip(reason: string): null {
  warn(`${reason}; skipped`)
  return null
}

/** The collector's ingest address under a base URL: `https://h/rec` posts to `/rec/ingest`. */
export function ingestEndpoint(base: unknown): string | null {
  if (typeof base !== 'string') return null
  try {
    const url = new URL(base, globalThis.location?.href)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
    const path = url.pathname.replace(/\/+$/, '')
    return `${url.origin}${path.endsWith(INGEST_PATH) ? path : path + INGEST_PATH}`
  } catch {
    return null
  }
}
