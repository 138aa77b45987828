import { defineStore } from 'pinia'
import { ref } from 'vue'
import type {
  Facet,
  IndexStatus,
  LibraryInfo,
  SessionSummary,
  SortOrder,
  Suggestion,
} from '../../../shared/api'
import { api } from '../api'

/** Results shown at once; the pager walks the rest, so 100,000 results cost one page. */
export const PAGE_SIZE = 100
/** How often the index's change counter is read: fresh sessions show within a second. */
const WATCH_MS = 400

/** The search box, its results, the facets beside them and the selected session. */
export const useSessionsStore = defineStore('sessions', () => {
  const query = ref('')
  const sort = ref<SortOrder>('relevance')
  const offset = ref(0)
  const sessions = ref<SessionSummary[]>([])
  const total = ref(0)
  const partial = ref(false)
  const facets = ref<Facet[]>([])
  const suggestions = ref<Suggestion[]>([])
  const status = ref<IndexStatus | null>(null)
  const error = ref<string | null>(null)
  const loading = ref(false)
  const selectedId = ref<string | null>(null)
  /** Where the sessions come from: the library, or a bundle opened read-only. */
  const library = ref<LibraryInfo | null>(null)
  /** Sessions ticked in the list, for an export of just those. */
  const picked = ref<string[]>([])
  let latest = 0
  let latestSuggestion = 0
  let watcher: ReturnType<typeof setInterval> | undefined

  /**
   * Runs the current query for the current page; an answer to an older query never
   * replaces a newer one. `fromStart` goes back to the first page, as a new query should.
   */
  async function search(fromStart = true): Promise<void> {
    const ticket = ++latest
    if (fromStart) offset.value = 0
    loading.value = true
    try {
      const options = { sort: sort.value, offset: offset.value, limit: PAGE_SIZE }
      const [result, found] = await Promise.all([
        api.searchSessions(query.value, options),
        api.getFacets(query.value),
      ])
      if (ticket !== latest) return
      sessions.value = result.sessions
      total.value = result.total
      partial.value = result.partial
      facets.value = found
      error.value = null
    } catch (e) {
      if (ticket === latest) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (ticket === latest) loading.value = false
    }
  }

  async function loadLibrary(): Promise<void> {
    library.value = await api.getLibrary().catch(() => null)
  }

  async function suggest(): Promise<void> {
    const ticket = ++latestSuggestion
    const found = await api.suggest(query.value).catch(() => [])
    if (ticket === latestSuggestion) suggestions.value = found
  }

  function clearSuggestions(): void {
    latestSuggestion++
    suggestions.value = []
  }

  /** Applies a suggestion or a facet: the query it carries replaces the typed one. */
  async function applyQuery(next: string): Promise<void> {
    query.value = next
    clearSuggestions()
    await search()
  }

  /** Adds a term to the query (a facet click), unless it is there already. */
  async function refine(term: string): Promise<void> {
    const current = query.value.trim()
    if (current.split(/\s+/).includes(term)) return
    await applyQuery(current === '' ? term : `${current} ${term}`)
  }

  async function setSort(next: SortOrder): Promise<void> {
    sort.value = next
    await search()
  }

  async function goToPage(nextOffset: number): Promise<void> {
    offset.value = Math.max(0, Math.min(nextOffset, Math.max(0, total.value - 1)))
    await search(false)
  }

  /**
   * Watches the index's change counter, a call that costs nothing, and searches again
   * when it moves: a session tagged a moment ago shows without a refresh, and the build
   * progress at start-up is shown as it goes.
   */
  function watchIndex(): void {
    stopWatching()
    let seen = -1
    watcher = setInterval(() => {
      void api
        .getIndexStatus()
        .then((next) => {
          status.value = next
          if (next.version === seen) return
          seen = next.version
          return search(false)
        })
        .catch(() => undefined)
    }, WATCH_MS)
  }

  function stopWatching(): void {
    clearInterval(watcher)
  }

  function select(id: string | null): void {
    selectedId.value = id
  }

  function togglePicked(id: string): void {
    picked.value = picked.value.includes(id)
      ? picked.value.filter((p) => p !== id)
      : [...picked.value, id]
  }

  function clearPicked(): void {
    picked.value = []
  }

  return {
    query,
    sort,
    offset,
    sessions,
    total,
    partial,
    facets,
    suggestions,
    status,
    error,
    loading,
    selectedId,
    picked,
    library,
    loadLibrary,
    search,
    suggest,
    clearSuggestions,
    applyQuery,
    refine,
    setSort,
    goToPage,
    watchIndex,
    stopWatching,
    select,
    togglePicked,
    clearPicked,
  }
})
