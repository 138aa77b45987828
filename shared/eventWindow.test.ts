import { describe, expect, it } from 'vitest'
import { sliceAfter, sliceFromCheckpoint } from './eventWindow'

const meta = (timestamp: number) => ({ type: 4, timestamp })
const full = (timestamp: number) => ({ type: 2, timestamp })
const step = (timestamp: number) => ({ type: 3, timestamp })

// Two pages, the first with a checkout (a second Meta + FullSnapshot) at 100.
const events = [
  meta(0),
  full(1),
  step(50),
  meta(100),
  full(101),
  step(150),
  meta(200),
  full(201),
  step(250),
]

describe('sliceFromCheckpoint', () => {
  it('starts at the last snapshot at or before the moment, with its Meta', () => {
    expect(sliceFromCheckpoint(events, 160).map((e) => e.timestamp)).toEqual([
      100, 101, 150, 200, 201, 250,
    ])
  })

  it('counts a snapshot at the very moment as before it', () => {
    expect(sliceFromCheckpoint(events, 201)[0]).toEqual(meta(200))
  })

  it('starts at the first snapshot for a moment before any', () => {
    expect(sliceFromCheckpoint([step(-5), ...events], -10)[0]).toEqual(meta(0))
  })

  it('ends with the last event at or before the end of the window', () => {
    expect(sliceFromCheckpoint(events, 10, 150).map((e) => e.timestamp)).toEqual([
      0, 1, 50, 100, 101, 150,
    ])
  })

  it('returns nothing for events without a snapshot', () => {
    expect(sliceFromCheckpoint([meta(0), step(5)], 10)).toEqual([])
  })
})

describe('sliceAfter', () => {
  it('takes the events after one time through another', () => {
    expect(sliceAfter(events, 101, 201).map((e) => e.timestamp)).toEqual([150, 200, 201])
  })
})
