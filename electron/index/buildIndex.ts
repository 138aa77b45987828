import type { SessionIndex } from './SessionIndex'
import type { Store } from '../store/Store'

/** How far a build has come; read by the service for the UI's progress line. */
export interface IndexBuild {
  indexed: number
  total: number
  building: boolean
  /** Settles when every session stored at the start is indexed. */
  done: Promise<void>
  /** Stops after the chunk in hand, before the store closes. */
  cancel(): Promise<void>
}

const CHUNK = 1000
/** The longest the build holds the event loop at once, so a search waits no longer. */
const SLICE_MS = 20

/**
 * Fills the index from the store a chunk at a time, giving the event loop back between
 * chunks so the collector and searches are answered while it runs (searches see the part
 * built so far and say so). Sessions written meanwhile reach the index through the
 * collector's own upserts; a chunk read later than such an upsert holds the same committed
 * state, so the order of the two does not matter.
 */
export function buildIndex(store: Store, index: SessionIndex, chunk = CHUNK): IndexBuild {
  const build: IndexBuild = {
    indexed: 0,
    total: store.sessionCount(),
    building: true,
    done: Promise.resolve(),
    cancel: async () => {
      cancelled = true
      await build.done.catch(() => undefined)
    },
  }
  let cancelled = false

  build.done = (async () => {
    let last = null
    await Promise.resolve()
    for (;;) {
      if (cancelled) break
      const { summaries, titles } = store.listSummariesAfter(last, chunk)
      if (summaries.length === 0) break
      let sliceStart = performance.now()
      for (const summary of summaries) {
        index.upsert(summary, titles.get(summary.id) ?? [])
        build.indexed++
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToEventLoop()
          sliceStart = performance.now()
        }
      }
      build.total = Math.max(build.total, build.indexed)
      last = summaries[summaries.length - 1]!
      await yieldToEventLoop()
    }
    build.building = false
  })()
  return build
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
