import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium, makeDataDir, serve, type Serving } from './harness'
import { buildLiveSession, buildMarkedSession, MARKED } from './fixtures/markedSession'
import { openSession, replayOf, sendBatch } from './player'

/**
 * The player's controls on a session whose markers sit at known seconds (see
 * fixtures/markedSession.ts): seeking, markers, keyboard, links, tabs and the side panel.
 */
describe('the player', () => {
  const data = makeDataDir()
  let server: Serving
  let browser: Browser
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    server = await serve(data.dir)
    for (const batch of buildMarkedSession(Date.now() - 120_000)) {
      await sendBatch(server.collectorUrl, batch)
    }
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 1500, height: 950 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(server.uiUrl).origin,
    })
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    data.remove()
  })

  /** Opens the session paused at `seconds`, as a link to that moment does. */
  async function openAt(seconds: number): Promise<void> {
    await page?.close()
    page = await context.newPage()
    await openSession(page, server.uiUrl, MARKED.sid, seconds * 1000)
    await timeIs(seconds)
  }

  async function timeIs(seconds: number): Promise<void> {
    await page
      .locator('[data-testid=time]', { hasText: new RegExp(`^\\s*${seconds}s /`) })
      .waitFor()
  }

  it('opens a link at its moment, paused, on the page shown then', async () => {
    await openAt(35)
    await replayOf(page).locator('text=Page two').waitFor()
    await page.locator('[data-testid=current-url]', { hasText: 'http://shop.test/two' }).waitFor()
    expect(await page.locator('[data-testid=play-pause]').getAttribute('aria-label')).toBe('Play')
  })

  it('stitches the pages of a tab into one timeline and seeks back across them', async () => {
    await openAt(35)
    // Page one lies before what the link loaded: it is fetched from its own snapshot.
    await page.locator('[data-testid=progress]').fill('12000')
    await replayOf(page).locator('text=Page one').waitFor()
    await page.locator('[data-testid=current-url]', { hasText: 'http://shop.test/one' }).waitFor()
    await timeIs(12)

    await page.locator('[data-testid=progress]').fill('39000')
    await replayOf(page).locator('text=Page two').waitFor()
  })

  it('marks tags, page views, clicks, rage clicks and errors on the timeline', async () => {
    await openAt(1)
    const markers = page.locator('[data-testid=markers] .marker')
    await markers.first().waitFor()
    const kinds = await markers.evaluateAll((all) => all.map((m) => m.getAttribute('data-kind')))
    expect(kinds).toEqual(['page', 'click', 'tag', 'rage-click', 'error', 'page'])
  })

  it('jumps between markers with the buttons and with shift+arrows', async () => {
    await openAt(1)
    await page.locator('[data-testid=markers] .marker').first().waitFor()
    await page.click('[data-testid=next-marker]')
    await timeIs(2)
    await page.click('[data-testid=next-marker]')
    await timeIs(3)
    await page.locator('h1').first().click()
    await page.keyboard.press('Shift+ArrowRight')
    await timeIs(5)
    await page.keyboard.press('Shift+ArrowRight')
    await timeIs(8)
    await page.keyboard.press('Shift+ArrowLeft')
    await timeIs(5)
    await page.click('[data-testid=prev-marker]')
    await timeIs(3)
  })

  it('steps with the arrows, sets the speed with number keys and lists the keys on ?', async () => {
    await openAt(1)
    await page.locator('h1').first().click()
    await page.keyboard.press('ArrowRight')
    await timeIs(6)
    await page.keyboard.press('ArrowLeft')
    await timeIs(1)

    await page.keyboard.press('4')
    expect(await page.locator('[data-testid=speed]').inputValue()).toBe('8')
    await page.keyboard.press('1')
    expect(await page.locator('[data-testid=speed]').inputValue()).toBe('1')

    await page.keyboard.press('?')
    await page.locator('[data-testid=shortcut-help]', { hasText: 'Shift + ← →' }).waitFor()
    await page.keyboard.press('?')
    await page.locator('[data-testid=shortcut-help]').waitFor({ state: 'detached' })
    await page.keyboard.press('?')
    await page.locator('[data-testid=shortcut-help]').waitFor()
    await page.keyboard.press('Escape')
    await page.locator('[data-testid=shortcut-help]').waitFor({ state: 'detached' })
  })

  it('puts the player alone on the screen with F, and back', async () => {
    await openAt(1)
    await page.locator('h1').first().click()
    await page.keyboard.press('f')
    await page.waitForFunction(() => document.fullscreenElement?.classList.contains('player'))
    await page.keyboard.press('f')
    await page.waitForFunction(() => document.fullscreenElement === null)
  })

  it('plays and pauses with space, even with the play button focused', async () => {
    await openAt(1)
    const button = page.locator('[data-testid=play-pause]')
    await button.click()
    await page.locator('[data-testid=play-pause][aria-label=Pause]').waitFor()
    await page.keyboard.press(' ')
    await page.locator('[data-testid=play-pause][aria-label=Play]').waitFor()
    await page.keyboard.press(' ')
    await page.locator('[data-testid=play-pause][aria-label=Pause]').waitFor()
  })

  it('skips inactivity by default, with a threshold that can be changed', async () => {
    // After the rage click at 5.4 s nothing happens until 20 s: longer than 10 s.
    await openAt(5)
    expect(await page.locator('[data-testid=skip-inactive]').isChecked()).toBe(true)
    expect(await page.locator('[data-testid=skip-threshold]').inputValue()).toBe('10')
    await page.click('[data-testid=play-pause]')
    await page.locator('[data-testid=current-url] .skipping').waitFor()

    await openAt(5)
    await page.locator('[data-testid=skip-threshold]').fill('60')
    await page.locator('[data-testid=skip-threshold]').press('Enter')
    await page.click('[data-testid=play-pause]')
    await page.locator('[data-testid=play-pause][aria-label=Pause]').waitFor()
    await page.waitForTimeout(2500)
    expect(await page.locator('[data-testid=current-url] .skipping').count()).toBe(0)
    const shown = await page.locator('[data-testid=time]').textContent()
    expect(Number(/^\s*(\d+)s/.exec(shown ?? '')?.[1])).toBeLessThan(12)
  })

  it('follows a session still being recorded, playing its new events as they arrive', async () => {
    const t0 = Date.now() - 3000
    const live = buildLiveSession(t0)
    await sendBatch(server.collectorUrl, live.first)
    await page?.close()
    page = await context.newPage()
    await openSession(page, server.uiUrl, live.first.sid)
    await replayOf(page).locator('text=Live one').waitFor()

    await sendBatch(server.collectorUrl, live.next(Date.now()))
    await replayOf(page).locator('text=Live two').waitFor({ timeout: 20_000 })
  })

  it('copies a link to the moment shown', async () => {
    await openAt(8)
    await page.click('[data-testid=copy-link]')
    await page.locator('[data-testid=copy-link]', { hasText: 'Copied' }).waitFor()
    const link = await page.evaluate(() => navigator.clipboard.readText())
    expect(link).toBe(`${new URL(server.uiUrl).origin}/#/session/${MARKED.sid}?t=8000`)
  })

  it('shows tabs recorded in parallel as tracks to switch between', async () => {
    // At 12 s the newest page is tab B's: that track opens.
    await openAt(12)
    const tracks = page.locator('[data-testid=track]')
    expect(await tracks.count()).toBe(2)
    await replayOf(page).locator('text=Page three').waitFor()
    await page.locator('[data-testid=current-url]', { hasText: 'http://shop.test/three' }).waitFor()

    await tracks.nth(0).click()
    await replayOf(page).locator('text=Page one').waitFor()
    await page.locator('[data-testid=current-url]', { hasText: 'http://shop.test/one' }).waitFor()
    await timeIs(12)
  })

  it('links every side panel entry to its moment, showing recorded text as text', async () => {
    await openAt(1)
    const error = page.locator('[data-testid=side-error]')
    expect(await error.textContent()).toContain(MARKED.error)
    await error.click()
    await timeIs(8)

    await page.locator('[data-testid=side-page]').nth(2).click()
    await replayOf(page).locator('text=Page two').waitFor()
    await timeIs(30)
  })
})
