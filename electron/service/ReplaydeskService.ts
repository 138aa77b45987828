import {
  ApiError,
  SORT_ORDERS,
  type Facet,
  type IndexStatus,
  type PageEvents,
  type ReplaydeskApi,
  type SearchOptions,
  type SearchResult,
  type SessionDetail,
  type Suggestion,
} from '../../shared/api'
import { QuerySyntaxError } from '../../shared/query'
import type { IndexBuild } from '../index/buildIndex'
import type { SessionIndex } from '../index/SessionIndex'
import type { Store } from '../store/Store'

const DEFAULT_LIMIT = 500
const MAX_LIMIT = 5000

/** The one implementation of the UI's contract; transports only carry its calls. */
export class ReplaydeskService implements ReplaydeskApi {
  constructor(
    private readonly store: Store,
    private readonly index: SessionIndex,
    private readonly collectorUrl: () => string,
    /** The start-up build, when the index is still being filled from the store. */
    private readonly build?: IndexBuild,
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

  async getEvents(id: string): Promise<PageEvents[]> {
    await this.getSession(id)
    return this.store.getEvents(id)
  }

  async getCollectorUrl(): Promise<string> {
    return this.collectorUrl()
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
