import { onBeforeUnmount, onMounted, ref, watch, type Ref } from 'vue'
import { formatSessionHash, parseSessionHash } from '../../../shared/links'

/**
 * Keeps the address and the selected session in step, so every session has a link and the
 * back button works. The moment in a link is read when the session opens.
 */
export function useSessionRoute(selectedId: Ref<string | null>, select: (id: string) => void) {
  const startMs = ref(0)

  function follow(): void {
    const route = parseSessionHash(location.hash)
    if (!route) return
    startMs.value = route.ms
    if (selectedId.value !== route.id) select(route.id)
  }

  watch(selectedId, (id) => {
    if (!id || parseSessionHash(location.hash)?.id === id) return
    startMs.value = 0
    history.pushState(null, '', formatSessionHash(id))
  })

  onMounted(() => {
    follow()
    window.addEventListener('hashchange', follow)
  })
  onBeforeUnmount(() => window.removeEventListener('hashchange', follow))

  return { startMs }
}
