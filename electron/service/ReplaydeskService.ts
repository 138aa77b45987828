import {
  ApiError,
  type PageEvents,
  type ReplaydeskApi,
  type SearchResult,
  type SessionDetail,
} from '../../shared/api'
import { ASSET_PATH, rewriteAssetUrls } from '../../shared/assetUrls'
import { QuerySyntaxError } from '../../shared/query'
import type { SessionIndex } from '../index/SessionIndex'
import type { Store } from '../store/Store'

const DEFAULT_LIMIT = 500

/** The one implementation of the UI's contract; transports only carry its calls. */
export class ReplaydeskService implements ReplaydeskApi {
  constructor(
    private readonly store: Store,
    private readonly index: SessionIndex,
    private readonly collectorUrl: () => string,
  ) {}

  async searchSessions(query: string, limit = DEFAULT_LIMIT): Promise<SearchResult> {
    try {
      const sessions = this.index.search(query)
      return { sessions: sessions.slice(0, limit), total: sessions.length }
    } catch (error) {
      if (error instanceof QuerySyntaxError) throw new ApiError('bad_query', error.message)
      throw error
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
    const base = `${this.collectorUrl()}${ASSET_PATH}`
    const local = new Map<string, string>()
    const toLocal = (url: string): string => {
      let mapped = local.get(url)
      if (mapped === undefined) {
        const hash = this.store.assetHashes([url]).get(url)
        mapped = hash ? `${base}${hash}` : ''
        local.set(url, mapped)
      }
      return mapped
    }
    return this.store
      .getEvents(id)
      .map((page) => ({ ...page, events: rewriteAssetUrls(page.events, toLocal) }))
  }

  async getCollectorUrl(): Promise<string> {
    return this.collectorUrl()
  }
}
