import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { batchSchema } from '../../shared/batchSchema'
import { SessionIndex } from '../index/SessionIndex'
import { Store } from '../store/Store'
import { makeBatch } from '../testing/makeBatch'
import { applyRetention, retentionFromEnvironment } from './applyRetention'

const DAY = 86_400_000
const NOW = 1_800_000_000_000
let dir: string
let store: Store
let index: SessionIndex

function record(sid: string, endedDaysAgo: number): void {
  const input = makeBatch({ sid }, NOW - endedDaysAgo * DAY)
  store.ingest(batchSchema.parse(input), gzipSync(JSON.stringify(input)))
  index.upsert(store.getSummary(sid)!)
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replaydesk-retention-'))
  store = Store.open(dir)
  index = new SessionIndex()
})

afterEach(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('applyRetention', () => {
  it('deletes sessions older than the age limit from the store and the index', () => {
    record('session-40-days', 40)
    record('session-10-days', 10)

    expect(applyRetention(store, { maxAgeDays: 30 }, index, NOW)).toEqual({
      sessions: 1,
      assets: 0,
    })
    expect(store.getSummary('session-40-days')).toBeUndefined()
    expect(index.search('').map((s) => s.id)).toEqual(['session-10-days'])
    expect(index.search('checkout').map((s) => s.id)).toEqual(['session-10-days'])
  })

  it('never deletes a pinned session, whatever its age or size', () => {
    record('session-pinned', 400)
    store.setPinned('session-pinned', true)

    expect(applyRetention(store, { maxAgeDays: 1, maxBytes: 1 }, index, NOW).sessions).toBe(0)
    expect(index.search('').map((s) => s.id)).toEqual(['session-pinned'])
  })

  it('keeps everything without settings', () => {
    record('session-old', 4000)
    expect(applyRetention(store, {}, index, NOW).sessions).toBe(0)
  })
})

describe('retentionFromEnvironment', () => {
  it('reads days and megabytes, and refuses a value that is not a positive number', () => {
    expect(
      retentionFromEnvironment({ REPLAYDESK_KEEP_DAYS: '30', REPLAYDESK_MAX_DISK_MB: '2' }),
    ).toEqual({ maxAgeDays: 30, maxBytes: 2 * 1024 * 1024 })
    expect(retentionFromEnvironment({})).toEqual({ maxAgeDays: undefined, maxBytes: undefined })
    expect(() => retentionFromEnvironment({ REPLAYDESK_KEEP_DAYS: 'thirty' })).toThrow(
      /REPLAYDESK_KEEP_DAYS must be a number above 0/,
    )
  })
})
