import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { batchSchema } from '../../shared/batchSchema'
import { ApiError } from '../../shared/api'
import { SessionIndex } from '../index/SessionIndex'
import { Store } from '../store/Store'
import { makeBatch } from '../testing/makeBatch'
import { ReplaydeskService } from './ReplaydeskService'

const T = 1_764_000_000_000
const MINUTE = 60_000
const dir = mkdtempSync(join(tmpdir(), 'replaydesk-service-'))
let store: Store
let service: ReplaydeskService

/** One chunk per minute for 20 minutes; a checkout (Meta + FullSnapshot) every 5 minutes. */
function ingestLongPage(): void {
  for (let minute = 0; minute < 20; minute++) {
    const at = T + minute * MINUTE
    const events =
      minute % 5 === 0
        ? [
            { type: 3, timestamp: at - 10, data: {} },
            { type: 4, timestamp: at, data: { href: 'https://x/', width: 800, height: 600 } },
            { type: 2, timestamp: at + 1, data: { node: { id: 1 }, initialOffset: {} } },
          ]
        : [{ type: 3, timestamp: at, data: {} }]
    const batch = batchSchema.parse(
      makeBatch({ seq: minute, events, ...(minute > 0 ? { meta: undefined } : {}) }),
    )
    store.ingest(batch, gzipSync(JSON.stringify(batch)))
  }
}

beforeAll(() => {
  store = Store.open(dir)
  service = new ReplaydeskService(store, new SessionIndex(), () => '')
  ingestLongPage()
})

afterAll(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

const times = (events: unknown[]) =>
  (events as { timestamp: number }[]).map((e) => (e.timestamp - T) / MINUTE)

describe('getEventWindow', () => {
  it('starts at the checkout before the moment, not at the start of the recording', async () => {
    const window = await service.getEventWindow('session-0001', {
      tab: 'tab-000001',
      fromTs: T + 12 * MINUTE,
      fromCheckpoint: true,
      untilTs: T + 13 * MINUTE,
    })
    expect(times(window.events)).toEqual([10, 10 + 1 / MINUTE, 11, 12, 13])
    expect(window.complete).toBe(false)
  })

  it('streams the next part from just after the window, and says when it is all there', async () => {
    const window = await service.getEventWindow('session-0001', {
      tab: 'tab-000001',
      fromTs: T + 13 * MINUTE,
      fromCheckpoint: false,
      untilTs: T + 30 * MINUTE,
    })
    expect(times(window.events)[0]).toBe(14)
    expect(times(window.events).at(-1)).toBe(19)
    expect(window.complete).toBe(true)
  })

  it('rejects an unknown session', async () => {
    await expect(
      service.getEventWindow('nope', {
        tab: 'x',
        fromTs: 0,
        fromCheckpoint: true,
        untilTs: 1,
      }),
    ).rejects.toBeInstanceOf(ApiError)
  })
})
