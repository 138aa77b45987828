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

/** Limits a batch must keep; the collector answers 413 or 422 past them. */
export const LIMITS = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxEventsPerBatch: 20_000,
  maxCommandsPerBatch: 500,
  maxUrlLength: 4096,
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
