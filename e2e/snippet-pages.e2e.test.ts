import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { SessionSummary } from '../shared/api'
import {
  cliJson,
  launchChromium,
  makeDataDir,
  readChunks,
  readEvents,
  replayToEnd,
  serve,
  serveRecordingProxy,
  serveSite,
  waitFor,
  type Serving,
} from './harness'

const TAB_KEY = 'replaydesk:tab'

describe('the snippet on a page', () => {
  const data = makeDataDir()
  let server: Serving
  let site: { url: string; close(): void }
  let browser: Browser
  const contexts: BrowserContext[] = []

  beforeAll(async () => {
    server = await serve(data.dir)
    site = await serveSite(server.collectorUrl, {
      'csp.html': {
        'Content-Security-Policy': `default-src 'self'; script-src 'self' ${server.collectorUrl}`,
      },
    })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    site?.close()
    await server?.stop()
    data.remove()
  })

  async function open(path: string, context?: BrowserContext): Promise<Page> {
    if (!context) contexts.push((context = await browser.newContext()))
    const page = await context.newPage()
    await page.goto(`${site.url}/${path}`)
    await page.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )
    return page
  }

  const tabOf = (page: Page) =>
    page.evaluate((key) => (JSON.parse(sessionStorage.getItem(key)!) as { id: string }).id, TAB_KEY)

  /** The session whose first URL ends with `path`, once `ready` holds for it. */
  function sessionAt(path: string, ready: (s: SessionSummary) => boolean): Promise<SessionSummary> {
    return waitFor(`the session of ${path}`, () => {
      const sessions = cliJson<SessionSummary[]>(['search', '--data', data.dir])
      return sessions.find((s) => s.urls[0]?.endsWith(path) && ready(s))
    })
  }

  it('keeps the session over a reload and history navigation; each tab has its own id', async () => {
    const first = await open('app.html')
    const tab = await tabOf(first)
    await first.click('#step')
    await first.goBack()
    await first.reload()
    await first.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )
    expect(await tabOf(first)).toBe(tab)

    // A new tab of the same browser shares localStorage, so the session, but not the tab.
    const second = await open('app.html', first.context())
    // A duplicated tab starts with a copy of the original's sessionStorage.
    const copied = await first.evaluate((key) => sessionStorage.getItem(key)!, TAB_KEY)
    const twin = await first.context().newPage()
    // Playwright may run an init script more than once per page; copy only the first time.
    await twin.addInitScript(
      ([key, value]) => {
        if (sessionStorage.getItem('e2e:copied')) return
        sessionStorage.setItem('e2e:copied', '1')
        sessionStorage.setItem(key!, value!)
      },
      [TAB_KEY, copied],
    )
    await twin.goto(`${site.url}/app.html`)
    await twin.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )

    const tabs = [tab, await tabOf(second), await tabOf(twin)]
    expect(new Set(tabs).size).toBe(3)

    // load, pushState, popstate and reload in the first tab, one page in each other.
    const session = await sessionAt('app.html', (s) => s.pages === 6)
    const chunks = readChunks(data.dir).filter((c) => c.session === session.id)
    expect(new Set(chunks.map((c) => c.tab))).toEqual(new Set(tabs))
    expect(new Set(chunks.filter((c) => c.tab === tab).map((c) => c.page)).size).toBe(4)
    expect(session.urls).toContain(`${site.url}/app.html?step=2`)
    await first.context().close()
  })

  it('records errors thrown by the page in the session', async () => {
    const page = await open('app.html')
    const thrown: string[] = []
    page.on('pageerror', (error) => thrown.push(error.message))
    await page.click('#boom')
    await page.click('#reject')

    const session = await waitFor('the errors', () => {
      const sessions = cliJson<SessionSummary[]>(['search', '--data', data.dir])
      return sessions.find((s) => s.errors.length === 2)
    })
    expect(thrown).toHaveLength(2)
    expect(session.errors).toEqual([
      'Error: checkout exploded at step 3',
      'Error: payment promise rejected',
    ])
    const events = readEvents(data.dir, session.id).text
    expect(events).toContain('"frame":"at HTMLButtonElement.onclick')
    await page.context().close()
  })

  it('starts one recorder when the snippet is included twice, and warns once per bad command', async () => {
    const context = await browser.newContext()
    contexts.push(context)
    const page = await context.newPage()
    const warnings: string[] = []
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()))
    await page.goto(`${site.url}/twice.html`)

    const session = await sessionAt('twice.html', (s) => s.stringTags.length > 0)
    await page.waitForTimeout(6000)
    const chunks = readChunks(data.dir).filter((c) => c.session === session.id)
    expect(new Set(chunks.map((c) => c.page)).size).toBe(1)
    const events = readEvents(data.dir, session.id).events as { type: number }[]
    expect(events.filter((e) => e.type === 2)).toHaveLength(1)
    expect(session.stringTags).toEqual(['loaded twice'])
    expect(session.identity).toBeNull()

    const ours = warnings.filter((w) => w.startsWith('[replaydesk]'))
    expect(ours).toHaveLength(5)
    expect(ours[0]).toContain('twice')
    expect(ours.join('\n')).toMatch(/unknown command "noSuchCommand"/)
    await context.close()
  })

  it('keeps a page working, with no uncaught error, when its CSP forbids the collector', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const thrown: string[] = []
    page.on('pageerror', (error) => thrown.push(error.message))
    const warnings: string[] = []
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()))
    await page.goto(`${site.url}/csp.html`)
    await page.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )

    await page.click('#press')
    expect(await page.textContent('#status')).toBe('Pressed')
    // Long enough for a batch to be sealed, refused by the CSP, and retried.
    await page.waitForTimeout(8000)
    await page.click('#press')
    await page.close({ runBeforeUnload: true })

    expect(thrown).toEqual([])
    const sessions = cliJson<SessionSummary[]>(['search', '--data', data.dir])
    expect(sessions.some((s) => s.urls.some((u) => u.endsWith('csp.html')))).toBe(false)
    const told = warnings.filter((w) => w.includes('Content-Security-Policy blocks the collector'))
    expect(told).toEqual([
      `[replaydesk] this page's Content-Security-Policy blocks the collector; add ${server.collectorUrl} to connect-src`,
    ])
    await context.close()
  })

  it('records nothing before consent and nothing after it is withdrawn', async () => {
    const page = await open('consent.html')
    await page.click('#change')
    await page.waitForTimeout(6000)
    const before = cliJson<SessionSummary[]>(['search', '--data', data.dir])
    expect(before.some((s) => s.urls.some((u) => u.endsWith('consent.html')))).toBe(false)

    await page.click('#consent')
    await page.click('#change')
    const session = await waitFor('the recording after consent', () => {
      const found = cliJson<SessionSummary[]>(['search', '--data', data.dir, 'consent'])[0]
      return found && readEvents(data.dir, found.id).text.includes('Change number 2')
        ? found
        : undefined
    })
    expect(session.stringTags).toEqual(['asked for consent'])

    await page.click('#withdraw')
    await page.click('#change')
    await page.waitForTimeout(6000)
    expect(readEvents(data.dir, session.id).text).not.toContain('Change number 3')
    await page.context().close()
  })

  it("sends to the collector named by ['collector', URL] rather than the script's origin", async () => {
    const proxy = await serveRecordingProxy(server.collectorUrl)
    const proxied = await serveSite(proxy.url)
    try {
      const context = await browser.newContext()
      const page = await context.newPage()
      const target = encodeURIComponent(server.collectorUrl)
      await page.goto(`${proxied.url}/elsewhere.html?collector=${target}`)
      await sessionAt(`elsewhere.html?collector=${target}`, () => true)
      expect(proxy.posted).toEqual([])
      await context.close()
    } finally {
      proxied.close()
      proxy.close()
    }
  })

  it('starts a new session on the next activity after 30 idle minutes on one page', async () => {
    const context = await browser.newContext()
    contexts.push(context)
    const page = await context.newPage()
    await page.clock.install()
    await page.goto(`${site.url}/app.html?idle`)
    await page.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )
    await page.clock.runFor(6000)
    const first = await sessionAt('app.html?idle', (s) => s.tags.plan === 'team' && s.events > 0)

    await page.clock.fastForward('31:00')
    await page.click('#done')
    await page.clock.runFor(6000)
    const second = await waitFor('a second session', () => {
      const found = cliJson<SessionSummary[]>(['search', '--data', data.dir])
      return found.find((s) => s.id !== first.id && s.urls.includes(`${site.url}/app.html?idle`))
    })

    const events = readEvents(data.dir, second.id).events as { type: number }[]
    expect(events[0]?.type).toBe(4)
    expect(events[1]?.type).toBe(2)
    expect(await replayToEnd(events)).toContain('All typed')
    await context.close()
  })
})
