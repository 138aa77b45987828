/**
 * The wire format between the snippet and the collector: one JSON batch per request,
 * gzipped or plain, sent without custom headers so browsers need no CORS preflight.
 *
 * A batch is addressed by (sid, tab, page, seq). The collector stores each address once,
 * so a retried batch is harmless.
 */
export type { Batch, BatchInput, PageMeta, TagCommand } from './batchSchema'

export const WIRE_VERSION = 1

/** The path the snippet posts batches to, on the origin it was loaded from. */
export const INGEST_PATH = '/ingest'
export const SNIPPET_PATH = '/snippet.js'

/**
 * Limits a batch must keep. The collector answers 413 past the byte limits (checked before
 * the body is read or inflated whole) and 422 past the others; tag key and text lengths are
 * in `tags.ts`.
 */
export const LIMITS = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxEventsPerBatch: 20_000,
  maxCommandsPerBatch: 500,
  /** Keys one `tagSession` object may set. */
  maxTagKeysPerCommand: 100,
  /** Key/value pairs and string tags all the commands of one batch may carry together. */
  maxTagsPerBatch: 1_000,
  maxUrlLength: 4096,
  /** Nesting of arrays and objects in the JSON body; a DOM snapshot nests about 2 per level. */
  maxJsonDepth: 512,
  /** Timestamps are milliseconds since 1970 and before 2100. */
  maxTimestamp: 4_102_444_800_000,
} as const

/** rrweb's event types, repeated here so `shared/` needs no rrweb import. */
export const EventType = {
  DomContentLoaded: 0,
  Load: 1,
  FullSnapshot: 2,
  IncrementalSnapshot: 3,
  Meta: 4,
  Custom: 5,
  Plugin: 6,
} as const

/**
 * The tag of the rrweb Custom event the snippet records for an uncaught error or an unhandled
 * rejection; its payload is an ErrorPayload. Sessions are searchable by these messages.
 */
export const ERROR_EVENT_TAG = 'replaydesk.error'

export interface ErrorPayload {
  message: string
  source: 'error' | 'unhandledrejection'
  /** The first frame of the stack, `at fn (https://…/app.js:10:5)`, when there is one. */
  frame?: string
}

/** The error messages a batch's events carry, in order, each once. */
export function errorMessagesOf(events: readonly { type: number; data?: unknown }[]): string[] {
  const messages = new Set<string>()
  for (const event of events) {
    if (event.type !== EventType.Custom) continue
    const data = event.data as { tag?: unknown; payload?: { message?: unknown } } | undefined
    if (data?.tag !== ERROR_EVENT_TAG) continue
    const message = data.payload?.message
    if (typeof message === 'string' && message !== '') messages.add(message.slice(0, 1024))
  }
  return [...messages]
}
