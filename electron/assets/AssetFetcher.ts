import { createHash } from 'node:crypto'
import { collectAssetUrls, isAssetUrl, mapCssUrls } from '../../shared/assetUrls'
import type { Logger } from '../logger'
import type { Store } from '../store/Store'

export interface AssetLimits {
  /** Fetches at once. */
  concurrency: number
  /** Largest asset kept; a larger one is cut off and recorded as failed. */
  maxBytes: number
  /** Longest one fetch may take, redirects and body included. */
  timeoutMs: number
  /** Asset URLs taken from one batch; the rest are ignored. */
  maxUrlsPerBatch: number
  /** Asset URLs kept for one session, over all its batches. */
  maxUrlsPerSession: number
}

/** Stylesheets named by stylesheets are followed this many levels (fonts, `@import`). */
const MAX_STYLESHEET_DEPTH = 2

export const DEFAULT_ASSET_LIMITS: AssetLimits = {
  concurrency: 4,
  maxBytes: 10 * 1024 * 1024,
  timeoutMs: 15_000,
  maxUrlsPerBatch: 500,
  maxUrlsPerSession: 2_000,
}

/**
 * What a replay may load: images, fonts and stylesheets. HTML, scripts and the rest are
 * refused, so nothing the cache serves can be a page. Fonts are often served as
 * `application/octet-stream`, so that is kept too (and sent back with `nosniff`).
 */
const ACCEPTED_TYPE = new RegExp(
  [
    String.raw`^(image/[\w.+-]+|font/[\w.+-]+|text/css`,
    String.raw`|application/(font-[\w.+-]+|x-font-[\w.+-]+|vnd\.ms-fontobject|octet-stream))$`,
  ].join(''),
)

/** Whether the cache keeps content of this type (parameters such as `charset` aside). */
export function isAcceptedAssetType(contentType: string): boolean {
  return ACCEPTED_TYPE.test(contentType.split(';')[0]!.trim().toLowerCase())
}

/**
 * Fetches the assets recordings reference, in the background, into the store's
 * content-addressed cache. Ingest only hands events over; listing and fetching happen after
 * the batch was acknowledged, and a failure is recorded on the URL, never raised. Work is
 * pulled from the store's pending URLs, so URLs left over by a restart are fetched too.
 */
export class AssetFetcher {
  private readonly limits: AssetLimits
  private readonly inFlight = new Set<string>()
  private readonly controller = new AbortController()
  private idleWaiters: (() => void)[] = []
  private stopped = false

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    limits: Partial<AssetLimits> = {},
  ) {
    this.limits = { ...DEFAULT_ASSET_LIMITS, ...limits }
  }

  /** Lists the asset URLs in a stored batch's events and fetches the new ones. */
  enqueue(sessionId: string, events: readonly unknown[]): void {
    setImmediate(() => {
      if (this.stopped) return
      const urls = collectAssetUrls(events).slice(0, this.limits.maxUrlsPerBatch)
      if (urls.length === 0) return
      const fresh = this.store.addAssetUrls(sessionId, urls, this.limits.maxUrlsPerSession)
      if (fresh.length > 0) this.pump()
    })
  }

  /** Starts on URLs still pending from an earlier run. */
  resume(): void {
    this.pump()
  }

  /** Resolves once nothing is being fetched or waiting: for tests and clean shutdowns. */
  idle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Aborts fetches in flight; their URLs stay pending for the next run. */
  async stop(): Promise<void> {
    this.stopped = true
    this.controller.abort()
    await this.idle()
  }

  private pump(): void {
    if (this.stopped) return
    const free = this.limits.concurrency - this.inFlight.size
    if (free <= 0) return

    const next = this.store
      .pendingAssetUrls(free + this.inFlight.size)
      .filter((url) => !this.inFlight.has(url))
      .slice(0, free)
    for (const url of next) {
      this.inFlight.add(url)
      void this.fetchOne(url)
        .catch((error: unknown) => this.logger.error({ err: error }, 'asset fetch failed'))
        .finally(() => {
          this.inFlight.delete(url)
          this.pump()
          if (this.inFlight.size === 0) this.notifyIdle()
        })
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  private async fetchOne(url: string): Promise<void> {
    let outcome: Downloaded | { error: string }
    try {
      outcome = await this.download(url)
    } catch (error) {
      if (this.stopped) return
      outcome = { error: describeFailure(error) }
    }
    if (this.stopped) return

    if ('error' in outcome) {
      this.store.recordAssetFailure(url, outcome.error)
      // The reason stays in the store: it can quote the recorded URL, which logs never do.
      this.logger.debug('asset not cached')
      return
    }
    const { contentType, body, nested } = outcome
    const hash = createHash('sha256').update(body).digest('hex')
    this.store.storeAsset(url, { hash, contentType, body })
    this.logger.debug({ bytes: body.length }, 'asset cached')

    const depth = this.store.assetStatus(url)?.depth ?? MAX_STYLESHEET_DEPTH
    if (nested.length > 0 && depth < MAX_STYLESHEET_DEPTH) {
      this.store.addNestedAssetUrls(url, nested.slice(0, this.limits.maxUrlsPerBatch))
    }
  }

  private async download(url: string): Promise<Downloaded | { error: string }> {
    const signal = AbortSignal.any([
      this.controller.signal,
      AbortSignal.timeout(this.limits.timeoutMs),
    ])
    // No cookies or credentials: the fetch is the collector's, not the visitor's.
    const response = await fetch(url, { signal, credentials: 'omit', redirect: 'follow' })
    if (!response.ok) {
      await response.body?.cancel()
      return { error: `HTTP ${response.status}` }
    }

    const type = (response.headers.get('content-type') ?? 'application/octet-stream')
      .split(';')[0]!
      .trim()
      .toLowerCase()
    if (!ACCEPTED_TYPE.test(type)) {
      await response.body?.cancel()
      return { error: `not an image, font or stylesheet (${type.slice(0, 60)})` }
    }

    const declared = Number(response.headers.get('content-length'))
    if (Number.isFinite(declared) && declared > this.limits.maxBytes) {
      await response.body?.cancel()
      return { error: `larger than ${this.limits.maxBytes} bytes` }
    }

    const parts: Uint8Array[] = []
    let size = 0
    for await (const part of response.body ?? []) {
      size += part.length
      if (size > this.limits.maxBytes) {
        await response.body?.cancel().catch(() => undefined)
        return { error: `larger than ${this.limits.maxBytes} bytes` }
      }
      parts.push(part)
    }
    const body = Buffer.concat(parts)
    if (type !== 'text/css') return { contentType: type, body, nested: [] }
    return { contentType: 'text/css; charset=utf-8', ...resolveStylesheet(body, response.url) }
  }
}

interface Downloaded {
  contentType: string
  body: Buffer
  /** Asset URLs a stylesheet names, to fetch next. */
  nested: string[]
}

/**
 * A stylesheet is kept with its `url()`s made absolute (against where it was fetched from),
 * so the server can point each at its cached copy whatever URL it was served under.
 */
function resolveStylesheet(body: Buffer, base: string): { body: Buffer; nested: string[] } {
  const nested = new Set<string>()
  const css = mapCssUrls(body.toString('utf8'), (url) => {
    if (url === '' || /^(data|blob):/i.test(url)) return url
    try {
      const absolute = new URL(url, base).href
      if (isAssetUrl(absolute)) nested.add(absolute)
      return absolute
    } catch {
      return url
    }
  })
  return { body: Buffer.from(css, 'utf8'), nested: [...nested] }
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out'
  const cause = (error as { cause?: { code?: string } }).cause
  return cause?.code ?? (error instanceof Error ? error.message : 'fetch failed')
}
