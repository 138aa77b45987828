import { describe, expect, it } from 'vitest'
import type { SessionDetail } from './api'
import { findMarkers } from './markers'
import { ERROR_EVENT_TAG } from './wire'

const T = Date.UTC(2026, 11, 3, 12)
const iso = (ms: number) => new Date(T + ms).toISOString()

const detail = {
  pageList: [
    { id: 'p1', tab: 'a', url: 'https://shop/one', title: '', startedAt: iso(0) },
    { id: 'p2', tab: 'b', url: 'https://shop/two', title: '', startedAt: iso(5000) },
  ],
  tagTimes: [
    { key: 'plan', value: 'pro', firstSeenAt: iso(300) },
    { key: null, value: 'viewed checkout', firstSeenAt: iso(400) },
  ],
} as unknown as SessionDetail

const click = (ms: number, x = 10, y = 10) => ({
  type: 3,
  timestamp: T + ms,
  data: { source: 2, type: 2, id: 1, x, y },
})

describe('findMarkers', () => {
  it('marks tags, page views, clicks, rage clicks and errors in time order', () => {
    const markers = findMarkers(detail, [
      {
        page: 'p1',
        events: [
          { type: 4, timestamp: T },
          { type: 2, timestamp: T + 20 },
          click(1000),
          click(2000),
          click(2300, 15, 12),
          click(2600, 8, 9),
          {
            type: 5,
            timestamp: T + 3000,
            data: { tag: ERROR_EVENT_TAG, payload: { message: 'x' } },
          },
        ],
      },
      { page: 'p2', events: [{ type: 2, timestamp: T + 5010 }] },
    ])

    expect(markers.map((m) => [m.kind, m.ts - T, m.tab, m.label])).toEqual([
      ['page', 20, 'a', 'https://shop/one'],
      ['tag', 300, null, 'plan: pro'],
      ['tag', 400, null, 'viewed checkout'],
      ['click', 1000, 'a', 'Click'],
      ['rage-click', 2000, 'a', 'Rage click (3 clicks)'],
      ['error', 3000, 'a', 'x'],
      ['page', 5010, 'b', 'https://shop/two'],
    ])
  })

  it('does not count clicks far apart on the page as a rage click', () => {
    const markers = findMarkers(detail, [
      { page: 'p1', events: [click(0, 0, 0), click(200, 300, 0), click(400, 0, 300)] },
    ])
    expect(markers.filter((m) => m.kind === 'click')).toHaveLength(3)
    expect(markers.some((m) => m.kind === 'rage-click')).toBe(false)
  })

  it('ignores other custom events', () => {
    const markers = findMarkers(detail, [
      { page: 'p1', events: [{ type: 5, timestamp: T, data: { tag: 'other', payload: {} } }] },
    ])
    expect(markers.some((m) => m.kind === 'error')).toBe(false)
  })
})
