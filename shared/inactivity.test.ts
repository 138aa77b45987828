import { describe, expect, it } from 'vitest'
import { replayOffsetAt, shortenInactivity } from './inactivity'

const meta = (t: number) => ({ type: 4, timestamp: t })
const click = (t: number) => ({ type: 3, timestamp: t, data: { source: 2 } })
const mutation = (t: number) => ({ type: 3, timestamp: t, data: { source: 0 } })

describe('shortenInactivity', () => {
  it('keeps a replay with no long pause whole', () => {
    const timeline = shortenInactivity([meta(0), click(2000), click(9000)], 10_000)
    expect(timeline).toEqual({
      segments: [{ replayFrom: 0, replayTo: 9000, shownFrom: 0 }],
      duration: 9000,
    })
  })

  it('cuts a long pause between actions down to a second', () => {
    const timeline = shortenInactivity([meta(0), click(1000), click(61_000), click(62_000)])
    expect(timeline.duration).toBe(1000 + 1000 + 1000)
    expect(replayOffsetAt(timeline, 500)).toBe(500)
    expect(replayOffsetAt(timeline, 1999)).toBe(1999)
    expect(replayOffsetAt(timeline, 2000)).toBe(61_000)
    expect(replayOffsetAt(timeline, 3000)).toBe(62_000)
  })

  it('does not count page changes without the visitor as activity', () => {
    const events = [meta(0), click(0), mutation(30_000), click(60_000), click(61_000)]
    const timeline = shortenInactivity(events)
    expect(timeline.duration).toBe(2000)
  })

  it('shortens a quiet tail after the last action', () => {
    expect(shortenInactivity([meta(0), click(500), mutation(40_000)]).duration).toBe(1500)
  })
})
