import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { SessionSummary } from '../shared/api'
import {
  cli,
  cliJson,
  launchChromium,
  makeDataDir,
  serve,
  serveSite,
  type Serving,
} from './harness'

/** What the UI may take, once a batch is committed, to show a session that now matches. */
const FRESHNESS_MS = 1000

/**
 * The search box against a live collector: a tag pushed by a recorded page shows in the
 * results of a query typed before the tag existed, and suggestions build a query by clicks.
 */
describe('searching from the UI', () => {
  const data = makeDataDir()
  let server: Serving
  let site: { url: string; close(): void }
  let browser: Browser
  let shop: Page
  let ui: Page

  beforeAll(async () => {
    server = await serve(data.dir)
    site = await serveSite(server.collectorUrl)
    browser = await launchChromium()

    shop = await browser.newPage()
    await shop.goto(`${site.url}/shop.html`)
    await shop.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )
    ui = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await ui.goto(server.uiUrl)
    await ui.locator('[data-testid=result-count]', { hasText: '1 session' }).waitFor()
  })

  afterAll(async () => {
    await browser?.close()
    site?.close()
    await server?.stop()
    data.remove()
  })

  it('shows a session within a second of its new tag being stored', async () => {
    await ui.fill('[data-testid=search]', 'campaign:spring-launch')
    await ui.locator('[data-testid=result-count]', { hasText: '0 sessions' }).waitFor()

    await shop.evaluate(() => {
      ;(window as unknown as { __insp: unknown[] }).__insp.push([
        'tagSession',
        { campaign: 'spring-launch' },
      ])
    })
    // The snippet sends within its sealing interval; the clock starts at the commit.
    await waitForIndexed(server, 'campaign:spring-launch')

    await ui
      .locator('[data-testid=result-count]', { hasText: '1 session' })
      .waitFor({ timeout: FRESHNESS_MS })
    expect(await ui.locator('[data-session-id]').count()).toBe(1)
  })

  it('completes a tag key, then its values with counts, and a click refines the results', async () => {
    await ui.fill('[data-testid=search]', '')
    await ui.locator('[data-testid=result-count]', { hasText: '1 session' }).waitFor()

    await ui.locator('[data-testid=search]').pressSequentially('camp')
    const key = ui.locator('[data-testid=suggestion]', { hasText: 'campaign:' })
    await key.waitFor()
    await key.click()
    expect(await ui.inputValue('[data-testid=search]')).toBe('campaign:')

    const value = ui.locator('[data-testid=suggestion]', { hasText: 'spring-launch' })
    await value.waitFor()
    expect(await value.textContent()).toContain('1')
    await value.click()
    expect(await ui.inputValue('[data-testid=search]')).toBe('campaign:spring-launch')
    await ui.locator('[data-testid=result-count]', { hasText: '1 session' }).waitFor()

    await ui.fill('[data-testid=search]', 'campaign:spring-launch -has:email')
    await ui.locator('[data-testid=result-count]', { hasText: '0 sessions' }).waitFor()
  })

  it('refines the results with a facet click', async () => {
    await ui.fill('[data-testid=search]', 'has:email')
    const facet = ui.locator('[data-testid=facet-value]', { hasText: 'spring-launch' })
    await facet.waitFor()
    await facet.click()
    expect(await ui.inputValue('[data-testid=search]')).toBe('has:email campaign:spring-launch')
    await ui.locator('[data-testid=result-count]', { hasText: '1 session' }).waitFor()
  })

  it('takes the same language, a sort and a limit on the command line', () => {
    const found = cliJson<SessionSummary[]>([
      'search',
      '--data',
      data.dir,
      '--sort',
      'longest',
      '--limit',
      '1',
      '(campaign:spring-launch OR plan:none) -browser:netscape pointsEarned:>=42',
    ])
    expect(found.map((s) => s.tags.campaign)).toEqual(['spring-launch'])

    const wrong = cli(['search', '--data', data.dir, '--sort', 'sideways', 'x'])
    expect(wrong.status).toBe(1)
    expect(wrong.stderr).toContain('sort by one of relevance, newest, oldest, longest, pages')
  })

  it('points at the column of a malformed query', async () => {
    await ui.fill('[data-testid=search]', 'plan:pro (a OR')
    const alert = ui.getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toContain('at column')
  })
})

/**
 * Resolves as soon as the service's own search finds `query`: the collector upserts the
 * index right after the commit, so this is the moment the batch was stored. Asked over the
 * same HTTP API the UI uses, every few milliseconds.
 */
async function waitForIndexed(server: Serving, query: string): Promise<void> {
  const url = new URL(server.uiUrl)
  const token = new URLSearchParams(url.hash.slice(1)).get('token') ?? ''
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const response = await fetch(`${url.origin}/api/searchSessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Replaydesk-Token': token },
      body: JSON.stringify([query]),
    })
    const reply = (await response.json()) as { result?: { total: number } }
    if (reply.result && reply.result.total > 0) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`the collector never stored a batch matching ${query}`)
}
