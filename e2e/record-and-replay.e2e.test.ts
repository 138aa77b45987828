import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import type { SessionDetail, SessionSummary } from '../shared/api'
import {
  cli,
  cliJson,
  launchChromium,
  makeDataDir,
  replayToEnd,
  serve,
  serveSite,
  waitFor,
  type Serving,
} from './harness'

const TYPED_SECRET = 'Jane Q. Cardholder'

/**
 * One visitor's session recorded for real: a site on one loopback port loads the snippet
 * from a collector on another, is tagged in both forms, clicked and typed into, and moves
 * to a second page. Then the command line and the UI must both find and replay it.
 */
describe('a recorded session', () => {
  const data = makeDataDir()
  let server: Serving
  let site: { url: string; close(): void }
  let browser: Browser
  let session: SessionSummary

  beforeAll(async () => {
    server = await serve(data.dir)
    site = await serveSite(server.collectorUrl)
    browser = await launchChromium()

    const page = await browser.newPage()
    await page.goto(`${site.url}/shop.html`)
    await page.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )
    await page.fill('#holder', TYPED_SECRET)
    await page.click('#pay')
    await page.evaluate(() => {
      ;(window as unknown as { __insp: unknown[] }).__insp.push([
        'tagSession',
        { converted: false, plan: 'pro' },
      ])
    })
    // Let the first page's snapshot and interactions reach the collector before leaving.
    await waitFor('the first page to be stored', () => {
      const [s] = cliJson<SessionSummary[]>(['search', '--data', data.dir])
      return s && s.tags.plan === 'pro' ? s : undefined
    })

    await page.click('#next')
    await page.waitForSelector('text=Thank you for your order')
    await page.waitForTimeout(500)
    await page.close({ runBeforeUnload: true })

    session = await waitFor('both pages and the tags of the second', () => {
      const [s] = cliJson<SessionSummary[]>(['search', '--data', data.dir])
      return s && s.pages === 2 && s.tags.converted === true ? s : undefined
    })
  })

  afterAll(async () => {
    await browser?.close()
    site?.close()
    await server?.stop()
    data.remove()
  })

  it('keeps the tags with their JSON types, the latest value of each key winning', () => {
    expect(session.site).toBe('1234')
    expect(session.identity).toBe('john@example.com')
    expect(session.tags).toEqual({
      email: 'john@example.com',
      userId: 1258,
      pointsEarned: 50,
      converted: true,
      plan: 'pro',
    })
    expect(session.stringTags).toEqual(['viewed checkout'])
    expect(session.pages).toBe(2)
    expect(session.urls).toEqual([`${site.url}/shop.html`, `${site.url}/thanks.html`])
    expect(session.durationMs).toBeGreaterThan(0)
    expect(Date.parse(session.endedAt)).toBeGreaterThan(Date.parse(session.startedAt))
  })

  it.each([
    'email:john@example.com',
    'EMAIL:John@Example.com',
    'tag:"viewed checkout"',
    'converted:true',
    'userId:1258',
    'pointsEarned:50',
    'plan:pro',
    'checkout',
    'john',
  ])('is found by %s', (query) => {
    const found = cliJson<SessionSummary[]>(['search', '--data', data.dir, query])
    expect(found.map((s) => s.id)).toEqual([session.id])
  })

  it.each(['pointsEarned:42', 'converted:false', 'tag:"viewed"', 'plan:free', '-plan:pro'])(
    'is not found by %s',
    (query) => {
      expect(cliJson<SessionSummary[]>(['search', '--data', data.dir, query])).toEqual([])
    },
  )

  it('shows its pages in order', () => {
    const detail = cliJson<SessionDetail>(['show', '--data', data.dir, session.id])
    expect(detail.pageList.map((p) => p.title)).toEqual(['Shop — Checkout', 'Shop — Thank you'])
    expect(detail.tagTimes.find((t) => t.key === 'plan')).toBeDefined()
  })

  it('explains a malformed query in one line', () => {
    const result = cli(['search', '--data', data.dir, 'tag:"never closed'])
    expect(result.status).toBe(1)
    expect(result.stderr.trim()).toBe('replaydesk: this quote is never closed (at column 5)')
  })

  it('prints events page by page, each page opening with Meta and FullSnapshot', async () => {
    const result = cli(['events', '--data', data.dir, session.id])
    expect(result.status).toBe(0)
    const events = JSON.parse(result.stdout) as { type: number; timestamp: number }[]

    const metaAt = events.flatMap((e, i) => (e.type === 4 ? [i] : []))
    expect(metaAt).toHaveLength(2)
    expect(metaAt[0]).toBe(0)
    for (const i of metaAt) expect(events[i + 1]?.type).toBe(2)
    expect(result.stdout).not.toContain(TYPED_SECRET)

    const replayed = await replayToEnd(events)
    expect(replayed).toContain('Thank you for your order')
  })

  it('is listed, found by a tag and replayed in the UI', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await page.goto(server.uiUrl)

    const item = page.locator(`[data-session-id="${session.id}"]`)
    await item.waitFor()
    expect(await item.textContent()).toContain('john@example.com')

    await page.fill('[data-testid=search]', 'plan:free')
    await page.locator('[data-testid=result-count]', { hasText: '0 sessions' }).waitFor()
    await page.fill('[data-testid=search]', 'plan:pro tag:"viewed checkout"')
    await page.locator('[data-testid=result-count]', { hasText: '1 session' }).waitFor()

    await item.click()
    // The replay runs inside the player frame, on the player's own origin.
    const replay = page
      .frameLocator('[data-testid=player-frame]')
      .frameLocator('[data-testid=player-viewport] iframe')
    await replay.locator('text=Checkout page').waitFor({ timeout: 10_000 })
    await replay.locator('text=Payment accepted').waitFor({ timeout: 15_000 })
    await replay.locator('text=Thank you for your order').waitFor({ timeout: 20_000 })

    await page.screenshot({ path: `${data.dir}/../replaydesk-ui.png` })
    await page.close()
  })
})
