import type { BatchInput } from '../../shared/wire'

let counter = 0

/** A minimal valid batch for tests: a Meta and a FullSnapshot at `t`, overridable. */
export function makeBatch(overrides: Partial<BatchInput> = {}, t = 1_764_000_000_000): BatchInput {
  counter++
  return {
    v: 1,
    sid: 'session-0001',
    tab: 'tab-000001',
    page: 'page-000001',
    seq: 0,
    meta: {
      url: 'https://shop.example/checkout',
      title: 'Checkout',
      referrer: '',
      viewport: { width: 1280, height: 720 },
      screen: { width: 1920, height: 1080 },
      language: 'en',
      timeZone: 'UTC',
      userAgent: 'test',
    },
    commands: [],
    events: [
      { type: 4, timestamp: t, data: { href: 'https://shop.example/', width: 1280, height: 720 } },
      { type: 2, timestamp: t + 1, data: { node: { id: counter }, initialOffset: {} } },
    ],
    ...overrides,
  }
}
