/**
 * The Replaydesk snippet: records the page with rrweb and sends it, with the tags the page
 * sets through the `__insp` command queue, to the collector it was loaded from.
 *
 * It runs inside other people's pages, so every entry point is wrapped: a failure here is
 * reported once on the console and never thrown into the host page.
 */
import { record } from '@rrweb/record'
import { gzipSync, strToU8 } from 'fflate'
import type { BatchInput, PageMeta } from '../../shared/wire'
import { INGEST_PATH, WIRE_VERSION } from '../../shared/wire'
import { parseTagArgument, type TagArgument } from '../../shared/tags'

type Command = NonNullable<BatchInput['commands']>[number]
type QueueItem = unknown

declare global {
  interface Window {
    __insp?: QueueItem[]
    __replaydeskLoaded?: boolean
  }
}

const SESSION_KEY = 'replaydesk:session'
const TAB_KEY = 'replaydesk:tab'
const SESSION_TIMEOUT_MS = 30 * 60 * 1000
const SEAL_INTERVAL_MS = 5000
const SEAL_BYTES = 512 * 1024
/** Browsers share 64 KiB among all keepalive requests in flight; stay under it. */
const KEEPALIVE_BUDGET = 60_000
const FULL_SNAPSHOT = 2

const warn = (message: string): void => {
  try {
    console.warn(`[replaydesk] ${message}`)
  } catch {
    // A console that throws is no reason to break the page.
  }
}

/** Runs `fn`, reporting instead of throwing: nothing of ours may break the host page. */
function safely<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args)
    } catch (error) {
      warn(`internal error: ${String(error)}`)
    }
  }
}

function randomId(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function readStorage(storage: Storage, key: string): string | null {
  try {
    return storage.getItem(key)
  } catch {
    return null
  }
}

function writeStorage(storage: Storage, key: string, value: string): void {
  try {
    storage.setItem(key, value)
  } catch {
    // Storage can be full or forbidden; the ids then last as long as this page.
  }
}

/** The session continues across page loads until 30 minutes pass without activity. */
function sessionId(now: number): string {
  const saved = readStorage(localStorage, SESSION_KEY)
  if (saved) {
    try {
      const { id, at } = JSON.parse(saved) as { id: string; at: number }
      if (typeof id === 'string' && now - at < SESSION_TIMEOUT_MS) return id
    } catch {
      // A damaged entry starts a new session.
    }
  }
  return randomId()
}

function tabId(): string {
  const saved = readStorage(sessionStorage, TAB_KEY)
  if (saved) return saved
  const id = randomId()
  writeStorage(sessionStorage, TAB_KEY, id)
  return id
}

function pageMeta(): PageMeta {
  return {
    url: location.href.slice(0, 4096),
    title: document.title.slice(0, 1024),
    referrer: document.referrer.slice(0, 4096),
    viewport: { width: innerWidth, height: innerHeight },
    screen: { width: screen.width, height: screen.height },
    language: navigator.language.slice(0, 64),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone.slice(0, 64),
    userAgent: navigator.userAgent.slice(0, 1024),
  }
}

function collectorEndpoint(): string {
  const script = document.currentScript as HTMLScriptElement | null
  const origin = script?.src ? new URL(script.src).origin : location.origin
  return origin + INGEST_PATH
}

class Recorder {
  private readonly endpoint = collectorEndpoint()
  private readonly tab = tabId()
  private sid = sessionId(Date.now())
  private page = randomId()
  private seq = 0
  private meta: PageMeta | null = pageMeta()
  private events: string[] = []
  private bytes = 0
  private commands: Command[] = []
  private keepaliveInFlight = 0
  // TODO(#3): keep failed batches in IndexedDB so they survive a reload.
  private retries: { body: string; attempt: number }[] = []

  start(): void {
    this.touchSession()
    record({
      emit: safely((event: { type: number }) => this.add(event)),
      recordAfter: 'DOMContentLoaded',
      maskAllInputs: true,
      slimDOMOptions: 'all',
      inlineStylesheet: true,
      checkoutEveryNms: 5 * 60 * 1000,
      sampling: { mousemove: 50, scroll: 150 },
      blockClass: 'rr-block',
      maskTextClass: 'rr-mask',
      ignoreClass: 'rr-ignore',
    })

    setInterval(
      safely(() => this.seal()),
      SEAL_INTERVAL_MS,
    )
    addEventListener(
      'pagehide',
      safely(() => this.flushOnExit()),
    )
    addEventListener(
      'visibilitychange',
      safely(() => {
        if (document.visibilityState === 'hidden') this.seal()
      }),
    )
    this.watchHistory()
  }

  /** Runs one `__insp` command; a malformed one is reported and skipped. */
  run(item: QueueItem): void {
    if (!Array.isArray(item) || typeof item[0] !== 'string') {
      return warn('a command is an array like ["tagSession", {...}]; skipped')
    }
    const [name, arg] = item as [string, unknown]
    const t = Date.now()

    switch (name) {
      case 'wid':
        if (typeof arg !== 'string' && typeof arg !== 'number') {
          return warn('wid takes a site id (a string or a number); skipped')
        }
        return this.queueCommand({ op: 'wid', t, value: arg })
      case 'identify':
        if (typeof arg !== 'string' || arg === '') {
          return warn('identify takes a non-empty string; skipped')
        }
        return this.queueCommand({ op: 'identify', t, value: arg })
      case 'tagSession': {
        const parsed = parseTagArgument(arg)
        if (!parsed.ok) return warn(`tagSession: ${parsed.reason}; skipped`)
        return this.queueCommand({ op: 'tag', t, value: parsed.tag satisfies TagArgument })
      }
      case 'virtualPage':
        return this.startPage()
      default:
        return warn(`unknown command ${JSON.stringify(name)}; skipped`)
    }
  }

  private queueCommand(command: Command): void {
    this.commands.push(command)
    this.touchSession()
  }

  private add(event: { type: number }): void {
    const json = JSON.stringify(event)
    this.events.push(json)
    this.bytes += json.length
    this.touchSession()

    // A full snapshot goes out at once: it is what the rest of the page replays against,
    // and it is too big to leave for the unload budget.
    if (event.type === FULL_SNAPSHOT || this.bytes >= SEAL_BYTES) this.seal()
  }

  /** A new page view: single-page navigation or `['virtualPage']`. */
  private startPage(): void {
    this.seal()
    this.page = randomId()
    this.seq = 0
    this.meta = pageMeta()
    record.takeFullSnapshot(true)
  }

  /** History API navigation to another URL starts a page view by itself. */
  private watchHistory(): void {
    let url = location.href
    const check = safely(() => {
      if (location.href === url) return
      url = location.href
      this.startPage()
    })
    for (const name of ['pushState', 'replaceState'] as const) {
      const original = history[name]
      history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args)
        check()
        return result
      }
    }
    addEventListener('popstate', check)
  }

  private touchSession(): void {
    writeStorage(localStorage, SESSION_KEY, JSON.stringify({ id: this.sid, at: Date.now() }))
  }

  /** Turns what is buffered into one batch; returns its JSON, or null when there is nothing. */
  private takeBatch(): string | null {
    if (this.events.length === 0 && this.commands.length === 0 && this.meta === null) return null

    const head: Omit<BatchInput, 'events'> = {
      v: WIRE_VERSION,
      sid: this.sid,
      tab: this.tab,
      page: this.page,
      seq: this.seq++,
      commands: this.commands,
      ...(this.meta ? { meta: this.meta } : {}),
    }
    const json = `${JSON.stringify(head).slice(0, -1)},"events":[${this.events.join(',')}]}`

    this.events = []
    this.bytes = 0
    this.commands = []
    this.meta = null
    return json
  }

  private seal(): void {
    const body = this.takeBatch()
    if (body !== null) void this.send(body, 0)
  }

  private async send(body: string, attempt: number): Promise<void> {
    const payload = await gzip(body)
    const keepalive = this.keepaliveInFlight + payload.size <= KEEPALIVE_BUDGET
    if (keepalive) this.keepaliveInFlight += payload.size

    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        body: payload,
        mode: 'cors',
        credentials: 'omit',
        keepalive,
      })
      // A 4xx means the collector will never take this batch; retrying cannot help.
      if (response.status >= 500) this.retryLater(body, attempt)
      else if (!response.ok) warn(`the collector refused a batch (${response.status})`)
    } catch {
      this.retryLater(body, attempt)
    } finally {
      if (keepalive) this.keepaliveInFlight -= payload.size
    }
  }

  private retryLater(body: string, attempt: number): void {
    const entry = { body, attempt: attempt + 1 }
    this.retries.push(entry)
    const delay = Math.min(60_000, 1000 * 2 ** attempt)
    setTimeout(
      safely(() => {
        this.retries.splice(this.retries.indexOf(entry), 1)
        void this.send(entry.body, entry.attempt)
      }),
      delay,
    )
  }

  /** The page is going away: the tail is gzipped synchronously and sent as a beacon. */
  private flushOnExit(): void {
    const bodies = [...this.retries.map((r) => r.body)]
    const tail = this.takeBatch()
    if (tail !== null) bodies.push(tail)

    for (const body of bodies) {
      const payload = gzipSync(strToU8(body))
      if (payload.length > KEEPALIVE_BUDGET || !navigator.sendBeacon(this.endpoint, payload)) {
        // TODO(#3): keep what does not fit for the next page load.
        warn('a batch could not be sent before the page closed')
      }
    }
    this.retries = []
  }
}

async function gzip(text: string): Promise<Blob> {
  if (typeof CompressionStream === 'undefined') return new Blob([gzipSync(strToU8(text))])
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Response(stream).blob()
}

function install(): void {
  if (window.__replaydeskLoaded) return warn('the snippet is on this page twice; one records')
  window.__replaydeskLoaded = true

  const recorder = new Recorder()
  const pending = Array.isArray(window.__insp) ? window.__insp : []
  const queue: QueueItem[] = []
  queue.push = (...items: QueueItem[]) => {
    items.forEach(safely((item: QueueItem) => recorder.run(item)))
    return 0
  }
  window.__insp = queue

  pending.forEach(safely((item: QueueItem) => recorder.run(item)))
  recorder.start()
}

safely(install)()
