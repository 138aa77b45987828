/**
 * Skipping inactivity for a rendered replay (`export --video`): long stretches with no user
 * input are shortened so the video keeps to what the visitor did. The same idea as rrweb's
 * own skipInactive while playing, made deterministic so a video can be rendered frame by
 * frame at any speed.
 */

/** rrweb incremental sources that are the visitor acting: mouse, touch, scroll, input... */
const USER_SOURCES = new Set([1, 2, 3, 4, 5, 6, 7, 12])
const INCREMENTAL_SNAPSHOT = 3

/** One stretch of the replay and where it sits on the shortened timeline. */
export interface TimelineSegment {
  /** Replay offsets (ms from the first event) the segment covers. */
  replayFrom: number
  replayTo: number
  /** Where it starts on the shortened timeline. */
  shownFrom: number
}

export interface Timeline {
  segments: TimelineSegment[]
  /** Length of the shortened timeline in ms. */
  duration: number
}

/**
 * Cuts every gap between user actions longer than `thresholdMs` down to `keepMs`. Returns
 * the segments that remain; a replay with no long gap is one segment.
 */
export function shortenInactivity(
  events: readonly { type: number; timestamp: number; data?: unknown }[],
  thresholdMs = 10_000,
  keepMs = 1_000,
): Timeline {
  if (events.length === 0) return { segments: [], duration: 0 }
  const start = events[0]!.timestamp
  const end = events[events.length - 1]!.timestamp - start

  const active = events
    .filter((e) => e.type === INCREMENTAL_SNAPSHOT && USER_SOURCES.has(sourceOf(e)))
    .map((e) => e.timestamp - start)

  const segments: TimelineSegment[] = []
  let from = 0
  let shown = 0
  let last = 0
  for (const at of [...active, end]) {
    if (at - last > thresholdMs) {
      const cutAt = last + keepMs
      segments.push({ replayFrom: from, replayTo: cutAt, shownFrom: shown })
      shown += cutAt - from
      from = at
    }
    last = Math.max(last, at)
  }
  segments.push({ replayFrom: from, replayTo: end, shownFrom: shown })
  shown += end - from
  return { segments, duration: shown }
}

/** The replay offset shown at `shownMs` on the shortened timeline. */
export function replayOffsetAt(timeline: Timeline, shownMs: number): number {
  let segment = timeline.segments[0]
  for (const s of timeline.segments) if (s.shownFrom <= shownMs) segment = s
  if (!segment) return 0
  return Math.min(segment.replayTo, segment.replayFrom + (shownMs - segment.shownFrom))
}

function sourceOf(event: { data?: unknown }): number {
  const source = (event.data as { source?: unknown } | undefined)?.source
  return typeof source === 'number' ? source : -1
}
