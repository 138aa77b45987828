import { EventType } from './wire'

/** The least an rrweb event carries that windowing needs. */
export interface TimedEvent {
  type: number
  timestamp: number
}

/**
 * The events a replay needs to show the moment `atTs` (epoch ms) and play on from it: from
 * the last Meta event whose page snapshot (the FullSnapshot after it) is at or before `atTs`,
 * through `untilTs`. rrweb can only start from a full snapshot, so starting any later would
 * show an empty page; starting earlier costs time for nothing. When `atTs` comes before the
 * first snapshot, the window starts at the first one.
 */
export function sliceFromCheckpoint<T extends TimedEvent>(
  events: readonly T[],
  atTs: number,
  untilTs = Infinity,
): T[] {
  let start = -1
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!
    if (event.type !== EventType.Meta) continue
    const snapshot = events.slice(i + 1, i + 4).find((e) => e.type === EventType.FullSnapshot)
    if (!snapshot) continue
    if (start === -1 || snapshot.timestamp <= atTs) start = i
    if (snapshot.timestamp > atTs) break
  }
  if (start === -1) return []

  const slice: T[] = []
  for (let i = start; i < events.length; i++) {
    if (events[i]!.timestamp > untilTs) break
    slice.push(events[i]!)
  }
  return slice
}

/** Events after `afterTs` through `untilTs`: the next part of a window already loaded. */
export function sliceAfter<T extends TimedEvent>(
  events: readonly T[],
  afterTs: number,
  untilTs: number,
): T[] {
  return events.filter((e) => e.timestamp > afterTs && e.timestamp <= untilTs)
}
