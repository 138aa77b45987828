/**
 * The recorder: rrweb plus the page's commands, cut into batches and delivered exactly once
 * as far as the browser allows. Every batch that fails for a reason worth retrying waits in
 * the offline queue; a batch refused for good (4xx) is not sent again.
 */
import { record } from '@rrweb/record'
import { ERROR_EVENT_TAG, EventType } from '../../shared/wire'
import { Batcher, type SealedBatch } from './Batcher'
import type { Action } from './commandQueue'
import { watchErrors } from './errorEvents'
import {
  claimTab,
  findSessionId,
  randomId,
  SESSION_TIMEOUT_MS,
  touchSession,
  writeTab,
} from './identity'
import { OfflineQueue, type QueuedBatch } from './OfflineQueue'
import { readPageMeta } from './pageMeta'
import { recordOptions } from './recordOptions'
import { beaconBatch, postBatch } from './transport'
import { safely, warn } from './warn'

const SEAL_INTERVAL_MS = 5000
const MAX_RETRY_DELAY_MS = 30_000
/** A page whose snapshot keeps getting lost stops asking for new ones after this many. */
const MAX_SNAPSHOT_RETAKES = 3

export class Recorder {
  private endpoint: string
  private readonly owner = randomId()
  private readonly tab = claimTab(this.owner)
  private sid = findSessionId(Date.now())
  private readonly batcher = new Batcher(() => this.sid, this.tab, randomId(), readPageMeta())
  private readonly queue = new OfflineQueue((batch) => this.lost(batch))
  private stopRecording: (() => void) | null = null
  private wanted = true
  private started = false
  /** Until the first recording starts (consent), nothing at all is sent. */
  private recorded = false
  private maskAllText = false
  private retakes = 0
  private lastActive = Date.now()
  private lastSaved = 0
  /** A new session began mid-page: its events wait for its own full snapshot. */
  private awaitingSnapshot = false
  /** Batches posted and not yet answered, by key: saved to the queue if the page closes. */
  private readonly inFlight = new Map<string, QueuedBatch>()
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private retryDelay = 1000
  private draining = false

  constructor(endpoint: string) {
    this.endpoint = endpoint
  }

  /** Starts the timers and listeners, then recording unless `['stop']` came first. */
  start(): void {
    this.started = true
    touchSession(this.sid)
    void this.queue.open().then(() => this.drain())

    setInterval(
      safely(() => this.seal()),
      SEAL_INTERVAL_MS,
    )
    addEventListener(
      'pagehide',
      safely(() => this.flushOnExit()),
    )
    addEventListener(
      'pageshow',
      safely((event: PageTransitionEvent) => {
        if (event.persisted) writeTab({ id: this.tab, owner: this.owner })
      }),
    )
    addEventListener(
      'visibilitychange',
      safely(() => {
        if (document.visibilityState === 'hidden') this.flushByBeacon()
      }),
    )
    this.watchContentSecurityPolicy()
    watchErrors(
      safely((payload) => {
        if (this.stopRecording) record.addCustomEvent(ERROR_EVENT_TAG, payload)
      }),
    )
    this.watchHistory()
    if (this.wanted) this.record()
  }

  run(action: Action): void {
    switch (action.kind) {
      case 'command':
        this.batcher.addCommand(action.command)
        return this.touch()
      case 'virtualPage':
        return this.startPage()
      case 'collector':
        this.endpoint = action.endpoint
        return
      case 'maskAllText':
        this.maskAllText = action.on
        // Recording again applies the option from a new full snapshot on.
        if (!this.stopRecording) return
        this.pause()
        return this.record()
      case 'stop':
        this.wanted = false
        return this.pause()
      case 'start':
        this.wanted = true
        if (this.started && !this.stopRecording) this.record()
        return
    }
  }

  private record(): void {
    this.recorded = true
    this.stopRecording =
      record({
        ...recordOptions(this.maskAllText),
        emit: safely((event: { type: number }) => {
          this.touch()
          if (this.awaitingSnapshot) {
            if (event.type === EventType.FullSnapshot) this.awaitingSnapshot = false
            else if (event.type !== EventType.Meta) return
          }
          if (this.batcher.addEvent(event)) this.seal()
        }),
      }) ?? null
  }

  private pause(): void {
    this.stopRecording?.()
    this.stopRecording = null
    this.seal()
  }

  /**
   * Marks activity. localStorage is written at most once a second: a busy page emits
   * dozens of events a second, and each write is synchronous.
   */
  private touch(): void {
    this.renewIfIdle()
    const now = Date.now()
    if (now - this.lastSaved < 1000) return
    this.lastSaved = now
    touchSession(this.sid)
  }

  /**
   * A page left open past 30 idle minutes ends its session: the next activity starts a new
   * one (or joins the one another tab has started), as a new page view with its own full
   * snapshot. The snapshot is taken on the next tick, outside rrweb's own callback.
   */
  private renewIfIdle(): void {
    const now = Date.now()
    const idle = now - this.lastActive > SESSION_TIMEOUT_MS
    this.lastActive = now
    if (!idle) return

    this.seal()
    this.sid = findSessionId(now)
    this.lastSaved = 0
    this.batcher.startPage(randomId(), readPageMeta())
    this.retakes = 0
    if (!this.stopRecording) return
    this.awaitingSnapshot = true
    setTimeout(
      safely(() => {
        if (this.stopRecording) record.takeFullSnapshot(true)
        else this.awaitingSnapshot = false
      }),
      0,
    )
  }

  /** A new page view: single-page navigation or `['virtualPage']`. */
  private startPage(): void {
    this.seal()
    this.batcher.startPage(randomId(), readPageMeta())
    this.retakes = 0
    if (this.stopRecording) record.takeFullSnapshot(true)
  }

  /** A page whose CSP forbids the collector is told so once; the page itself is unharmed. */
  private watchContentSecurityPolicy(): void {
    let warned = false
    addEventListener(
      'securitypolicyviolation',
      safely((event: SecurityPolicyViolationEvent) => {
        const origin = new URL(this.endpoint).origin
        if (warned || !event.blockedURI.startsWith(origin)) return
        warned = true
        warn(
          `this page's Content-Security-Policy blocks the collector; add ${origin} to connect-src`,
        )
      }),
    )
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

  private seal(): void {
    if (!this.recorded) return
    const sealed = this.batcher.take(() => this.queue.takeDropped())
    if (sealed) void this.deliver(this.queued(sealed))
  }

  private queued(sealed: SealedBatch): QueuedBatch {
    return { ...sealed, endpoint: this.endpoint, at: Date.now() }
  }

  /** Posts a fresh batch; a failure parks it in the queue and schedules a retry. */
  private async deliver(batch: QueuedBatch): Promise<void> {
    this.inFlight.set(batch.key, batch)
    const outcome = await postBatch(batch.endpoint, batch.body)
    this.inFlight.delete(batch.key)

    if (outcome === 'stored') {
      // The collector answers again: what waited can follow now rather than at the timer.
      this.retryDelay = 1000
      if (this.retryTimer !== null) void this.drain()
    } else if (outcome === 'retry') {
      this.queue.put(batch)
      this.scheduleRetry()
    } else {
      this.lost(batch)
    }
  }

  /** Sends what waits in the queue, oldest first, stopping at the first failure. */
  private async drain(): Promise<void> {
    if (this.draining) return
    this.draining = true
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    try {
      for (const batch of await this.queue.list()) {
        if (this.inFlight.has(batch.key)) continue
        const outcome = await postBatch(batch.endpoint, batch.body)
        if (outcome === 'retry') return this.scheduleRetry()
        this.queue.remove(batch.key)
        if (outcome === 'refused') this.lost(batch)
      }
      this.retryDelay = 1000
    } catch {
      this.scheduleRetry()
    } finally {
      this.draining = false
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null) return
    this.retryTimer = setTimeout(
      safely(() => void this.drain()),
      this.retryDelay,
    )
    this.retryDelay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelay * 2)
  }

  /**
   * A batch that will never be stored. If it held the current page's full snapshot, the
   * rest of the page would have nothing to replay against, so a new one is taken; if it
   * held the page's metadata, that goes again with the next batch.
   */
  private lost(batch: QueuedBatch): void {
    warn('the collector refused a batch, or it waited too long; it is dropped')
    if (batch.page !== this.batcher.page) return
    if (batch.meta) this.batcher.restoreMeta(readPageMeta())
    if (!batch.snapshot || !this.stopRecording) return
    if (this.retakes++ < MAX_SNAPSHOT_RETAKES) record.takeFullSnapshot(true)
  }

  /**
   * The page is going away: what was still in flight, and a tail the browser will not
   * take as a beacon, wait in the queue for the next page load.
   */
  private flushOnExit(): void {
    writeTab({ id: this.tab, owner: null })
    for (const batch of this.inFlight.values()) this.keep(batch)
    this.flushByBeacon()
  }

  /**
   * The page is hidden and may never run again: the tail is gzipped synchronously and
   * sent as a beacon when it fits the keepalive budget, otherwise queued.
   */
  private flushByBeacon(): void {
    if (!this.recorded) return
    const sealed = this.batcher.take(() => this.queue.takeDropped())
    if (!sealed) return
    const tail = this.queued(sealed)
    if (beaconBatch(tail.endpoint, tail.body)) return
    this.keep(tail)
    this.scheduleRetry()
  }

  /** Keeps a batch through a page close; if even that fails, it is lost. */
  private keep(batch: QueuedBatch): void {
    if (!this.queue.spill(batch)) this.lost(batch)
  }
}
