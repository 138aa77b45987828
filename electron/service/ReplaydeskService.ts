import {
  ApiError,
  type EventWindow,
  type EventWindowRequest,
  SORT_ORDERS,
  type Facet,
  type IndexStatus,
  type PageEvents,
  type LibraryInfo,
  type ReplaydeskApi,
  type SearchOptions,
  type SearchResult,
  type SessionDetail,
  type Suggestion,
  type TransferJob,
} from '../../shared/api'
import { ASSET_PATH, rewriteAssetUrls } from '../../shared/assetUrls'
import { QuerySyntaxError } from '../../shared/query'
import { sliceAfter, sliceFromCheckpoint } from '../../shared/eventWindow'
import { findMarkers, type Marker } from '../../shared/markers'
import type { IndexBuild } from '../index/buildIndex'
import type { SessionIndex } from '../index/SessionIndex'
import type { Store } from '../store/Store'
import type { Transfers } from './Transfers'

const DEFAULT_LIMIT = 500
const MAX_LIMIT = 5000

/** The one implementation of the UI's contract; transports only carry its calls. */
export class ReplaydeskService implements ReplaydeskApi {
  constructor(
    private readonly store: Store,
    private readonly index: SessionIndex,
    private readonly collectorUrl: () => string,
    private readonly playerUrl: () => string = () => '',
    private readonly library: LibraryInfo = { bundle: null, readOnly: false },
    /** The start-up build, when the index is still being filled from the store. */
    private readonly build?: IndexBuild,
    /** Exports and imports the UI starts; absent where nothing can start them. */
    private readonly transfers?: Transfers,
  ) {}

  async searchSessions(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    const { sort = 'newest', offset = 0, limit = DEFAULT_LIMIT } = options
    if (!SORT_ORDERS.includes(sort)) {
      throw new ApiError('bad_query', `sort by one of ${SORT_ORDERS.join(', ')}`)
    }
    if (!isCount(offset) || !isCount(limit) || limit > MAX_LIMIT) {
      throw new ApiError('bad_query', `offset and limit are whole numbers; limit ≤ ${MAX_LIMIT}`)
    }

    const found = answer(() => this.index.page(String(query), sort, offset, limit))
    return { ...found, partial: this.build?.building ?? false }
  }

  async suggest(query: string): Promise<Suggestion[]> {
    return this.index.suggest(String(query))
  }

  async getFacets(query: string): Promise<Facet[]> {
    return answer(() => this.index.facets(String(query)))
  }

  async getIndexStatus(): Promise<IndexStatus> {
    return {
      indexed: this.build?.building ? this.build.indexed : this.index.size,
      total: this.build?.building ? this.build.total : this.index.size,
      building: this.build?.building ?? false,
      version: this.index.version,
    }
  }

  async getSession(id: string): Promise<SessionDetail> {
    const detail = this.store.getDetail(id)
    if (!detail) throw new ApiError('not_found', `no session with id ${id}`)
    return detail
  }

  /**
   * The session's events with their asset URLs pointing at the local cache, so a replay
   * needs no network. A URL not cached becomes '' and loads nothing: a replay never reaches
   * the recorded site. (`replaydesk events` prints the events as recorded instead.)
   */
  async getEvents(id: string): Promise<PageEvents[]> {
    await this.getSession(id)
    const toLocal = this.assetMapper()
    return this.store
      .getEvents(id)
      .map((page) => ({ ...page, events: rewriteAssetUrls(page.events, toLocal) }))
  }

  /** A window of one tab's events, asset URLs pointing at the local cache as in getEvents. */
  async getEventWindow(id: string, request: EventWindowRequest): Promise<EventWindow> {
    await this.getSession(id)
    const { tab, fromTs, untilTs, fromCheckpoint } = request
    const read = this.store.getTabEvents(id, tab, fromTs, untilTs + 1)
    const events = fromCheckpoint
      ? sliceFromCheckpoint(read, fromTs, untilTs)
      : sliceAfter(read, fromTs, untilTs)
    return {
      events: rewriteAssetUrls(events, this.assetMapper()),
      complete: !this.store.hasTabEventsAfter(id, tab, untilTs),
    }
  }

  /** Maps a recorded asset URL to its cached copy, or to '' when there is none. */
  private assetMapper(): (url: string) => string {
    const base = `${this.collectorUrl()}${ASSET_PATH}`
    const local = new Map<string, string>()
    return (url) => {
      let mapped = local.get(url)
      if (mapped === undefined) {
        const hash = this.store.assetHashes([url]).get(url)
        mapped = hash ? `${base}${hash}` : ''
        local.set(url, mapped)
      }
      return mapped
    }
  }

  async getMarkers(id: string): Promise<Marker[]> {
    return findMarkers(await this.getSession(id), this.store.getEvents(id))
  }

  async getCollectorUrl(): Promise<string> {
    return this.collectorUrl()
  }

  async getPlayerUrl(): Promise<string> {
    return this.playerUrl()
  }

  async getLibrary(): Promise<LibraryInfo> {
    return this.library
  }

  async getTransfer(id: string): Promise<TransferJob> {
    if (!this.transfers) throw new ApiError('not_found', `no export or import with id ${id}`)
    return this.transfers.get(id)
  }
}

/** Runs an index read, turning a malformed query into the error the UI shows. */
function answer<T>(read: () => T): T {
  try {
    return read()
  } catch (error) {
    if (error instanceof QuerySyntaxError) throw new ApiError('bad_query', error.message)
    throw error
  }
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0
}
