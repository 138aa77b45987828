import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { SessionSummary } from '../../../shared/api'
import { api } from '../api'

/** The search box, its results and the selected session. */
export const useSessionsStore = defineStore('sessions', () => {
  const query = ref('')
  const sessions = ref<SessionSummary[]>([])
  const total = ref(0)
  const error = ref<string | null>(null)
  const loading = ref(false)
  const selectedId = ref<string | null>(null)
  let latest = 0

  /** Runs the current query; an answer to an older query never replaces a newer one. */
  async function search(): Promise<void> {
    const ticket = ++latest
    loading.value = true
    try {
      const result = await api.searchSessions(query.value)
      if (ticket !== latest) return
      sessions.value = result.sessions
      total.value = result.total
      error.value = null
    } catch (e) {
      if (ticket === latest) error.value = e instanceof Error ? e.message : String(e)
    } finally {
      if (ticket === latest) loading.value = false
    }
  }

  function select(id: string | null): void {
    selectedId.value = id
  }

  return { query, sessions, total, error, loading, selectedId, search, select }
})
