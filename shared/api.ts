/**
 * The whole contract between the UI and the back end. The service in `electron/service`
 * implements it once; IPC (desktop window) and HTTP (headless mode) carry it unchanged.
 */
import type { Marker } from './markers'

/** A tag value keeps the JSON type the page gave it. */
export type TagValue = string | number | boolean

/** What `replaydesk search --json` prints for each session, and what the list shows. */
export interface SessionSummary {
  id: string
  /** The site id set with `['wid', …]`, or null. */
  site: string | null
  /** The label set with `['identify', …]`, or null. */
  identity: string | null
  /** Key/value tags, each with the latest value set. */
  tags: Record<string, TagValue>
  /** Plain string tags, in the order first set. */
  stringTags: string[]
  /** ISO 8601 time of the first recorded event. */
  startedAt: string
  /** ISO 8601 time of the last recorded event. */
  endedAt: string
  durationMs: number
  /** Page views: page loads and virtual pages. */
  pages: number
  /** rrweb events stored. */
  events: number
  /** Distinct page URLs in the order first visited. */
  urls: string[]
  /** Browser with major version (`Chrome 156`), OS and device class, from the first page. */
  browser: string | null
  os: string | null
  device: string | null
  /** Distinct messages of uncaught errors and unhandled rejections, first seen first. */
  errors: string[]
}

/** One page load or virtual page of a session. */
export interface PageSummary {
  id: string
  tab: string
  url: string
  title: string
  startedAt: string
  endedAt: string
  events: number
}

export interface SessionDetail extends SessionSummary {
  pageList: PageSummary[]
  /** When each tag was first set, by key (key/value tags) or by text (string tags). */
  tagTimes: { key: string | null; value: TagValue; firstSeenAt: string }[]
}

/** Orders of a result list. `relevance` puts exact hits of bare words first, then newest. */
export type SortOrder = 'relevance' | 'newest' | 'oldest' | 'longest' | 'pages'

export const SORT_ORDERS: readonly SortOrder[] = [
  'relevance',
  'newest',
  'oldest',
  'longest',
  'pages',
] satisfies SortOrder[]

export interface SearchOptions {
  /** Default `newest`. */
  sort?: SortOrder
  /** Results to skip, for paging. Default 0. */
  offset?: number
  /** Results to return. Default 500. */
  limit?: number
}

export interface SearchResult {
  /** One page of the matching sessions, in the order asked for. */
  sessions: SessionSummary[]
  /** How many sessions match in all. */
  total: number
  /** Whether the index was still being built: later answers may hold more. */
  partial: boolean
}

/** A completion for the search box: replacing the query with `query` applies it. */
export interface Suggestion {
  kind: 'key' | 'field' | 'value'
  /** What the user reads, e.g. `plan` or `pro`. */
  label: string
  /** The whole query with the word being typed completed. */
  query: string
  /** Sessions with this key or value; null for a field name. */
  count: number | null
}

/** The most frequent values of one tag key among a query's results. */
export interface Facet {
  /** The tag key, or `tag` for plain string tags. */
  key: string
  /** Results that have the key at all. */
  count: number
  values: { value: string; count: number; term: string }[]
}

/** How far the index is built, and a counter that moves whenever it changes. */
export interface IndexStatus {
  indexed: number
  total: number
  building: boolean
  /** Grows on every change to the index; the UI re-runs its search when it moves. */
  version: number
}

/** rrweb events of one page, in order, starting with its Meta and FullSnapshot events. */
export interface PageEvents {
  page: string
  events: unknown[]
}

/** Which events of one tab `getEventWindow` returns; times are epoch milliseconds. */
export interface EventWindowRequest {
  tab: string
  /**
   * With `fromCheckpoint`, the window starts at the last full snapshot at or before this
   * time (so a replay can show it); without, it starts just after it (the next part).
   */
  fromTs: number
  fromCheckpoint: boolean
  /** The window ends with the last event at or before this time. */
  untilTs: number
}

export interface EventWindow {
  events: unknown[]
  /** Whether the tab has no events after `untilTs` yet. */
  complete: boolean
}

export interface ReplaydeskApi {
  /** Sessions matching a query (see `shared/query.ts`). Empty query: all. */
  searchSessions(query: string, options?: SearchOptions): Promise<SearchResult>
  /** Completions for the last word of a query: tag keys, then values with their counts. */
  suggest(query: string): Promise<Suggestion[]>
  /** The most used tag keys among a query's results, each with its most frequent values. */
  getFacets(query: string): Promise<Facet[]>
  /** Progress of the index build and its change counter. */
  getIndexStatus(): Promise<IndexStatus>
  /** One session with its pages in order; rejects with a NotFound error when unknown. */
  getSession(id: string): Promise<SessionDetail>
  /** The session's events page by page. */
  getEvents(id: string): Promise<PageEvents[]>
  /** Part of one tab's events, for a player that starts anywhere and streams the rest. */
  getEventWindow(id: string, request: EventWindowRequest): Promise<EventWindow>
  /** The timeline's markers: tags, page views, clicks, rage clicks and errors. */
  getMarkers(id: string): Promise<Marker[]>
  /** Where pages send their recordings: the collector's base URL. */
  getCollectorUrl(): Promise<string>
  /** The player document, on an origin of its own that holds nothing privileged. */
  getPlayerUrl(): Promise<string>
  /** What the sessions shown come from: the data directory, or a bundle opened read-only. */
  getLibrary(): Promise<LibraryInfo>
  /** An export or import started from the UI: its progress, then its outcome. */
  getTransfer(id: string): Promise<TransferJob>
}

/** Which sessions an export takes: the ones picked by id, or every result of a query. */
export type ExportSelection = { ids: string[] } | { query: string }

/** One bundle file of an import and what became of it. */
export interface ImportedFile {
  /** The file's name as the user chose it. */
  name: string
  sessions: number
  /** Sessions the library did not have before. */
  added: number
  chunks: number
  /** Cached images, fonts and stylesheets the file carried. */
  assets: number
  /** Why the file was refused (nothing of it was imported), or null. */
  error: string | null
}

/** An export or an import running in the back end, as the UI's progress bar shows it. */
export interface TransferJob {
  id: string
  kind: 'export' | 'import'
  state: 'running' | 'done' | 'failed'
  /** Work done out of the total: sessions for an export, bytes read for an import. */
  progress: { done: number; total: number }
  /** One line for people: what is happening now, or what happened. */
  message: string
  /** The bundle an export wrote. */
  exported: { name: string; sessions: number; chunks: number; assets: number; bytes: number } | null
  /** Headless mode: where the finished export is downloaded, token included. */
  downloadUrl: string | null
  imported: ImportedFile[]
}

export interface LibraryInfo {
  /** The bundle's file name when `serve --bundle` opened one; null for the data directory. */
  bundle: string | null
  /** True when nothing can be recorded or changed (a bundle is open). */
  readOnly: boolean
}

/** The method names a transport may carry: the keys of the contract, nothing else. */
export type ApiMethod = keyof ReplaydeskApi

export const API_METHODS: readonly ApiMethod[] = [
  'searchSessions',
  'suggest',
  'getFacets',
  'getIndexStatus',
  'getSession',
  'getEvents',
  'getEventWindow',
  'getMarkers',
  'getCollectorUrl',
  'getPlayerUrl',
  'getLibrary',
  'getTransfer',
] satisfies ApiMethod[]

/** An error that crosses a transport: a code the UI can act on and a message for people. */
export interface ApiErrorBody {
  code: 'not_found' | 'bad_query' | 'internal'
  message: string
}

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorBody['code'],
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}
