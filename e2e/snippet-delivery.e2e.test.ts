import { afterEach, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { SessionSummary } from '../shared/api'
import {
  cliJson,
  findFreePort,
  launchChromium,
  makeDataDir,
  readChunks,
  readEvents,
  replayToEnd,
  serve,
  serveRecordingProxy,
  serveSite,
  waitFor,
  watchBatches,
  type PostedBatch,
  type Serving,
  type StoredChunk,
} from './harness'

const OUTAGE_MS = 20_000

/** Everything a test starts, stopped in reverse whatever happens. */
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(port = 0) {
  const data = makeDataDir()
  cleanups.push(data.remove)
  const server: { current: Serving } = { current: await serve(data.dir, port) }
  cleanups.push(() => server.current.stop())
  const site = await serveSite(server.current.collectorUrl)
  cleanups.push(site.close)
  const browser: Browser = await launchChromium()
  cleanups.push(() => browser.close())
  const context = await browser.newContext()
  return { data, server, site, context, posted: watchBatches(context) }
}

const keyOf = (b: { tab: string; page: string; seq: number }) => `${b.tab}/${b.page}/${b.seq}`

/** True when every batch the browser posted is in the store. */
function allStored(dataDir: string, posted: PostedBatch[]): StoredChunk[] | undefined {
  const stored = readChunks(dataDir)
  const keys = new Set(stored.map(keyOf))
  return posted.length > 0 && posted.every((b) => keys.has(keyOf(b))) ? stored : undefined
}

/** Each page's stored sequence numbers, in order. */
function seqsByPage(stored: StoredChunk[]): Map<string, number[]> {
  const pages = new Map<string, number[]>()
  for (const chunk of stored) pages.set(chunk.page, [...(pages.get(chunk.page) ?? []), chunk.seq])
  for (const seqs of pages.values()) seqs.sort((a, b) => a - b)
  return pages
}

async function typeFor(page: Page, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    await page.keyboard.type('x')
    await page.waitForTimeout(200)
  }
}

describe('delivery', () => {
  it('stores every batch exactly once after the collector was down for 20 s', async () => {
    const port = await findFreePort()
    const { data, server, site, context, posted } = await start(port)
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))

    await page.goto(`${site.url}/app.html`)
    await page.click('#note')
    await typeFor(page, 3000)

    await server.current.stop()
    const failedBefore = posted.length
    await typeFor(page, OUTAGE_MS / 2)
    // A page view that starts while the collector is down: its first batch waits too.
    await page.click('#step')
    await page.click('#note')
    await typeFor(page, OUTAGE_MS / 2)

    server.current = await serve(data.dir, port)
    await typeFor(page, 2000)
    await page.click('#done')
    await waitFor('every posted batch to be stored', () => allStored(data.dir, posted), 60_000)
    await page.close({ runBeforeUnload: true })
    const stored = await waitFor('the tail', () => allStored(data.dir, posted), 30_000)

    // Batches posted during the outage failed and were posted again.
    const attempts = new Map<string, number>()
    for (const b of posted) attempts.set(keyOf(b), (attempts.get(keyOf(b)) ?? 0) + 1)
    expect(posted.length).toBeGreaterThan(failedBefore)
    expect([...attempts.values()].some((n) => n > 1)).toBe(true)

    const pages = seqsByPage(stored)
    expect(pages.size).toBe(2)
    for (const seqs of pages.values()) expect(seqs).toEqual(seqs.map((_, i) => i))
    expect(new Set(stored.map(keyOf)).size).toBe(stored.length)

    const [session] = cliJson<SessionSummary[]>(['search', '--data', data.dir])
    expect(session?.pages).toBe(2)
    const { events } = readEvents(data.dir, session!.id)
    expect(await replayToEnd(events)).toContain('All typed')
    expect(pageErrors).toEqual([])
  })

  it('sends no beacon over 64 KB and delivers a refused tail on the next visit', async () => {
    const { data, server, context } = await start()
    const proxy = await serveRecordingProxy(server.current.collectorUrl)
    cleanups.push(proxy.close)
    const site = await serveSite(proxy.url)
    cleanups.push(site.close)
    const { posted } = proxy
    const firstStored = (id: () => string | undefined) =>
      waitFor('the page to be stored', () =>
        readChunks(data.dir).some((c) => c.page === id()) ? true : undefined,
      )

    // A small tail goes as a beacon when the tab closes.
    const small = await context.newPage()
    await small.goto(`${site.url}/bulk.html`)
    await firstStored(() => posted[0]?.page)
    await small.click('#search')
    await small.keyboard.type('hello')
    await small.click('#small')
    await small.close({ runBeforeUnload: true })
    await waitFor('a beacon', () => (posted.some((b) => b.beacon) ? true : undefined))

    // A tail far over the budget is kept in IndexedDB instead.
    const big = await context.newPage()
    await big.goto(`${site.url}/bulk.html`)
    const bigPage = await waitFor('the second page', () => posted.at(-1)?.page)
    await firstStored(() => bigPage)
    await big.click('#bulk')
    await big.close({ runBeforeUnload: true })
    await new Promise((r) => setTimeout(r, 1000))
    const [session] = cliJson<SessionSummary[]>(['search', '--data', data.dir])
    expect(readEvents(data.dir, session!.id).text).not.toContain('Rows loaded to the end')

    const next = await context.newPage()
    await next.goto(`${site.url}/bulk.html`)
    // Delivery, not speed, is under test: a retry's backoff may stretch on a loaded machine.
    await waitFor(
      'the kept tail to arrive',
      () =>
        readEvents(data.dir, session!.id).text.includes('Rows loaded to the end')
          ? true
          : undefined,
      60_000,
    )

    expect(posted.filter((b) => b.beacon).length).toBeGreaterThan(0)
    for (const b of posted.filter((b) => b.beacon)) expect(b.bytes).toBeLessThanOrEqual(64 * 1024)
    const stored = await waitFor('all batches', () => allStored(data.dir, posted))
    for (const seqs of seqsByPage(stored).values()) {
      expect(seqs).toEqual(seqs.map((_, i) => i))
    }
    await next.close()
  })

  it('takes a new full snapshot when the first is refused for good, and sends it once', async () => {
    const { data, server, context } = await start()
    let refused: PostedBatch | undefined
    const proxy = await serveRecordingProxy(server.current.collectorUrl, (batch) => {
      if (refused || !batch.body.includes('"type":2,')) return false
      refused = batch
      return true
    })
    cleanups.push(proxy.close)
    const site = await serveSite(proxy.url)
    cleanups.push(site.close)

    const page = await context.newPage()
    await page.goto(`${site.url}/app.html`)
    await page.click('#done')
    const [session] = await waitFor('the page with a new snapshot', () => {
      const sessions = cliJson<SessionSummary[]>(['search', '--data', data.dir])
      return sessions[0]?.urls.length ? sessions : undefined
    })
    const events = await waitFor('the click after the snapshot', () => {
      const { text, events } = readEvents(data.dir, session!.id)
      // Quoted as a text node's value; the button's onclick attribute holds it in '…'.
      return text.includes('"All typed"') ? (events as { type: number }[]) : undefined
    })

    expect(refused).toBeDefined()
    expect(proxy.posted.filter((b) => keyOf(b) === keyOf(refused!))).toHaveLength(1)
    expect(events.filter((e) => e.type === 2)).toHaveLength(1)
    expect(session!.urls).toEqual([`${site.url}/app.html`])
    expect(await replayToEnd(events)).toContain('All typed')
  })
})
