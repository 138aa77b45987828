import { api } from '../api'
import type { ToPlayerMessage } from '../../../shared/playerProtocol'

/** How much of the recording the first request brings: enough to start playing at once. */
export const FIRST_WINDOW_MS = 60_000
/** Each further request while streaming. */
export const NEXT_WINDOW_MS = 5 * 60_000
/** Streaming stays this far ahead of the playhead, and waits once it is. */
export const LOOKAHEAD_MS = 5 * 60_000
/**
 * The most the player holds. Past it, the stream starts again from the snapshot before the
 * playhead, so memory follows the loaded window, not the length of the recording.
 */
export const MAX_LOADED_MS = 15 * 60_000
/** How often a waiting stream looks again: at the playhead, or for a live session's news. */
const WAIT_MS = 1000
const LIVE_POLL_MS = 3000

/**
 * Loads one tab's events into the player from the nearest full snapshot before the moment
 * wanted, then streams the rest behind it: the first frame costs a window, not the whole
 * recording. A seek outside what is loaded starts again from that moment's snapshot.
 * Events pass straight to the frame and are not kept here.
 */
export function useEventStream(
  sessionId: string,
  send: (message: ToPlayerMessage) => void,
  onError: (message: string) => void,
  playhead: () => { ts: number; playing: boolean },
) {
  let generation = 0
  let loadedFromTs = Infinity
  let loadedUntilTs = -Infinity
  let stopped = false

  /** Shows `atTs` of `tab` (loading what it needs) and plays from there if asked. */
  async function open(tab: string, atTs: number, play: boolean): Promise<void> {
    const ticket = ++generation
    const window = await api.getEventWindow(sessionId, {
      tab,
      fromTs: atTs,
      fromCheckpoint: true,
      untilTs: atTs + FIRST_WINDOW_MS,
    })
    if (ticket !== generation || stopped) return
    if (window.events.length < 2) {
      onError('This part of the session has no recorded page to show yet.')
      return
    }

    const first = window.events[0] as { timestamp: number }
    const last = window.events[window.events.length - 1] as { timestamp: number }
    loadedFromTs = first.timestamp
    // A live session's newest events may still be arriving: only move past what came.
    loadedUntilTs = window.complete ? last.timestamp : atTs + FIRST_WINDOW_MS
    send({ kind: 'load', events: window.events as never, atTs, play })
    void streamRest(tab, ticket, window.complete)
  }

  async function streamRest(tab: string, ticket: number, complete: boolean): Promise<void> {
    while (ticket === generation && !stopped) {
      if (complete) await sleep(LIVE_POLL_MS)
      else if (loadedUntilTs > playhead().ts + LOOKAHEAD_MS) {
        await sleep(WAIT_MS)
        continue
      }
      if (ticket !== generation || stopped) return
      if (loadedUntilTs - loadedFromTs > MAX_LOADED_MS) {
        const { ts, playing } = playhead()
        return open(tab, ts, playing)
      }

      const untilTs = loadedUntilTs + NEXT_WINDOW_MS
      const next = await api
        .getEventWindow(sessionId, {
          tab,
          fromTs: loadedUntilTs,
          fromCheckpoint: false,
          untilTs,
        })
        .catch(() => null)
      if (!next || ticket !== generation || stopped) return

      // A live session's newest events may still be arriving: only move past what came.
      const last = next.events[next.events.length - 1] as { timestamp: number } | undefined
      loadedUntilTs = next.complete ? (last?.timestamp ?? loadedUntilTs) : untilTs
      if (next.events.length > 0) send({ kind: 'append', events: next.events as never })
      complete = next.complete
    }
  }

  /** Whether the player already holds the events to show `ts`. */
  function isLoaded(ts: number): boolean {
    return ts >= loadedFromTs && ts <= loadedUntilTs
  }

  function stop(): void {
    stopped = true
  }

  return { open, isLoaded, stop }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
