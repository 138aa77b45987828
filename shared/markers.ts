import type { PageEvents, SessionDetail } from './api'
import { formatTagValue } from './tags'
import { ERROR_EVENT_TAG, EventType } from './wire'

/** What a marker on the player's timeline stands for. */
export type MarkerKind = 'tag' | 'page' | 'click' | 'rage-click' | 'error'

/** One moment of a session worth jumping to. */
export interface Marker {
  kind: MarkerKind
  /** Epoch milliseconds. */
  ts: number
  /** The tab it happened in; null for tags, which belong to the whole session. */
  tab: string | null
  /** Recorded text (a tag, a URL, an error message): render it as text only. */
  label: string
  /** The page a page-view marker stands for. */
  page?: string
}

/** rrweb's IncrementalSource.MouseInteraction and MouseInteractions.Click. */
const MOUSE_INTERACTION = 2
const CLICK = 2

/** Three clicks within a second and a small circle: the visitor is annoyed. */
export const RAGE_CLICKS = { count: 3, withinMs: 1000, radiusPx: 30 } as const

interface RawEvent {
  type: number
  timestamp: number
  data?: {
    source?: number
    type?: number
    x?: number
    y?: number
    tag?: unknown
    payload?: { message?: unknown }
  }
}

/**
 * Every marker of a session, in time order: tags where they were first set, page views,
 * clicks (a burst of them as one rage click) and errors.
 */
export function findMarkers(detail: SessionDetail, pages: readonly PageEvents[]): Marker[] {
  const tabOf = new Map(detail.pageList.map((p) => [p.id, p.tab]))
  const markers: Marker[] = []

  for (const t of detail.tagTimes) {
    const label = t.key === null ? String(t.value) : `${t.key}: ${formatTagValue(t.value)}`
    markers.push({ kind: 'tag', ts: Date.parse(t.firstSeenAt), tab: null, label })
  }
  // A page view is marked where its first snapshot shows it, a little after it started.
  const shownAt = new Map(pages.map((p) => [p.page, firstSnapshotTs(p.events as RawEvent[])]))
  for (const p of detail.pageList) {
    const ts = shownAt.get(p.id) ?? Date.parse(p.startedAt)
    markers.push({ kind: 'page', ts, tab: p.tab, label: p.url, page: p.id })
  }
  for (const page of pages) {
    const tab = tabOf.get(page.page) ?? null
    markers.push(...findClicks(page.events as RawEvent[], tab))
    markers.push(...findErrors(page.events as RawEvent[], tab))
  }

  return markers.sort((a, b) => a.ts - b.ts)
}

function firstSnapshotTs(events: readonly RawEvent[]): number | undefined {
  return events.find((e) => e.type === EventType.FullSnapshot)?.timestamp
}

function findClicks(events: readonly RawEvent[], tab: string | null): Marker[] {
  const clicks = events.filter(
    (e) =>
      e.type === EventType.IncrementalSnapshot &&
      e.data?.source === MOUSE_INTERACTION &&
      e.data.type === CLICK,
  )

  const markers: Marker[] = []
  let i = 0
  while (i < clicks.length) {
    // A burst is the clicks that follow the first within the time and distance limits.
    const first = clicks[i]!
    let end = i + 1
    while (end < clicks.length && isSameBurst(first, clicks[end]!)) end++
    const count = end - i
    const rage = count >= RAGE_CLICKS.count
    markers.push({
      kind: rage ? 'rage-click' : 'click',
      ts: first.timestamp,
      tab,
      label: rage ? `Rage click (${count} clicks)` : 'Click',
    })
    i = rage ? end : i + 1
  }
  return markers
}

function isSameBurst(first: RawEvent, next: RawEvent): boolean {
  const dx = (next.data?.x ?? 0) - (first.data?.x ?? 0)
  const dy = (next.data?.y ?? 0) - (first.data?.y ?? 0)
  return (
    next.timestamp - first.timestamp <= RAGE_CLICKS.withinMs &&
    Math.hypot(dx, dy) <= RAGE_CLICKS.radiusPx
  )
}

function findErrors(events: readonly RawEvent[], tab: string | null): Marker[] {
  return events.flatMap((e) => {
    if (e.type !== EventType.Custom || e.data?.tag !== ERROR_EVENT_TAG) return []
    const message = e.data.payload?.message
    const label = typeof message === 'string' ? message.slice(0, 300) : 'Error'
    return [{ kind: 'error' as const, ts: e.timestamp, tab, label }]
  })
}
