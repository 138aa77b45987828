import { onBeforeUnmount, onMounted, ref, watch, type Ref } from 'vue'

/** `#/session/ID?t=MS`: a session, and a moment in it as milliseconds from its start. */
const ROUTE = /^#\/session\/([\w-]{1,64})(?:\?t=(\d{1,10}))?$/

export function parseSessionRoute(hash: string): { id: string; startMs: number } | null {
  const match = ROUTE.exec(hash)
  return match ? { id: match[1]!, startMs: Number(match[2] ?? 0) } : null
}

export function formatSessionRoute(id: string, ms?: number): string {
  return ms === undefined ? `#/session/${id}` : `#/session/${id}?t=${Math.round(ms)}`
}

/**
 * Keeps the address and the selected session in step, so every session has a link and the
 * back button works. The moment in a link is read when the session opens.
 */
export function useSessionRoute(selectedId: Ref<string | null>, select: (id: string) => void) {
  const startMs = ref(0)

  function follow(): void {
    const route = parseSessionRoute(location.hash)
    if (!route) return
    startMs.value = route.startMs
    if (selectedId.value !== route.id) select(route.id)
  }

  watch(selectedId, (id) => {
    if (!id || parseSessionRoute(location.hash)?.id === id) return
    startMs.value = 0
    history.pushState(null, '', formatSessionRoute(id))
  })

  onMounted(() => {
    follow()
    window.addEventListener('hashchange', follow)
  })
  onBeforeUnmount(() => window.removeEventListener('hashchange', follow))

  return { startMs }
}
