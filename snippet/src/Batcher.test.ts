import { describe, expect, it } from 'vitest'
import { batchSchema } from '../../shared/batchSchema'
import type { PageMeta } from '../../shared/wire'
import { Batcher } from './Batcher'

const meta: PageMeta = {
  url: 'https://shop.example/cart',
  title: 'Cart',
  referrer: '',
  viewport: { width: 1280, height: 800 },
  screen: { width: 1920, height: 1080 },
  language: 'en',
  timeZone: 'Europe/Paris',
  userAgent: 'test',
}

const SID = 'session-0001'
const parse = (body: string) => batchSchema.parse(JSON.parse(body))
const none = () => 0

describe('Batcher', () => {
  it('numbers batches per page and sends the page metadata with the first only', () => {
    const batcher = new Batcher(() => SID, 'tab-00001', 'page-0001', meta)
    batcher.addEvent({ type: 3, timestamp: 1 } as never)
    const first = parse(batcher.take(none)!.body)
    batcher.addEvent({ type: 3, timestamp: 2 } as never)
    const second = parse(batcher.take(none)!.body)

    expect([first.seq, second.seq]).toEqual([0, 1])
    expect(first.meta).toEqual(meta)
    expect(second.meta).toBeUndefined()
    expect(second.events).toEqual([{ type: 3, timestamp: 2 }])
  })

  it('starts again from 0 on a new page, which carries its own metadata', () => {
    const batcher = new Batcher(() => SID, 'tab-00001', 'page-0001', meta)
    batcher.take(none)
    batcher.startPage('page-0002', { ...meta, url: 'https://shop.example/pay' })
    const sealed = batcher.take(none)!
    const batch = parse(sealed.body)

    expect(sealed.key).toBe(`${SID}/tab-00001/page-0002/0`)
    expect(batch.seq).toBe(0)
    expect(batch.meta?.url).toBe('https://shop.example/pay')
  })

  it('asks to seal at once after a full snapshot, and marks the batch as holding it', () => {
    const batcher = new Batcher(() => SID, 'tab-00001', 'page-0001', meta)
    expect(batcher.addEvent({ type: 4, timestamp: 1 } as never)).toBe(false)
    expect(batcher.addEvent({ type: 2, timestamp: 1 } as never)).toBe(true)
    expect(batcher.take(none)!.snapshot).toBe(true)
    batcher.addEvent({ type: 3, timestamp: 2 } as never)
    expect(batcher.take(none)!.snapshot).toBe(false)
  })

  it('has nothing to send once the metadata is out and nothing new came', () => {
    const batcher = new Batcher(() => SID, 'tab-00001', 'page-0001', meta)
    batcher.take(none)
    let asked = 0
    expect(batcher.take(() => ++asked)).toBeNull()
    expect(asked).toBe(0)
  })

  it('reports dropped batches in the batch, and the collector accepts the field', () => {
    const batcher = new Batcher(() => SID, 'tab-00001', 'page-0001', meta)
    expect(parse(batcher.take(() => 3)!.body).dropped).toBe(3)
  })
})
