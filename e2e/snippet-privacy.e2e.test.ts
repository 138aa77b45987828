import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import type { SessionSummary } from '../shared/api'
import {
  cliJson,
  launchChromium,
  makeDataDir,
  readEvents,
  serve,
  serveSite,
  waitFor,
  type Serving,
} from './harness'

const TYPED = {
  comment: 'my diagnosis is confidential',
  password: 'hunter2-password',
  ignored: 'typed into rr-ignore',
  editor: 'typed into contenteditable',
}

/** The text each privacy mark covers in privacy.html, at load and after "Reveal". */
const MARKED = [
  'secret-rr-block',
  'secret-rr-mask',
  'secret-inspectlet-ignore',
  'secret-hj-suppress',
  'secret-fs-exclude',
  'secret-ph-no-capture',
  'secret-data-private',
  'secret-late',
  'secret-late-private',
]

describe('privacy', () => {
  const data = makeDataDir()
  let server: Serving
  let site: { url: string; close(): void }
  let browser: Browser

  beforeAll(async () => {
    server = await serve(data.dir)
    site = await serveSite(server.collectorUrl)
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    site?.close()
    await server?.stop()
    data.remove()
  })

  /** Records privacy.html in a fresh context and returns its stored events as text. */
  async function record(query: string, until: string): Promise<string> {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${site.url}/privacy.html${query}`)
    await page.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )
    for (const [id, text] of Object.entries(TYPED)) {
      await page.click(`#${id}`)
      await page.keyboard.type(text)
    }
    await page.click('#reveal')

    const text = await waitFor(
      'the page and its last change to be stored',
      () => {
        const sessions = cliJson<SessionSummary[]>(['search', '--data', data.dir])
        const session = sessions.find((s) => s.urls.some((u) => u.endsWith(query)))
        const events = session && readEvents(data.dir, session.id).text
        return events?.includes(until) ? events : undefined
      },
      30_000,
    )
    await context.close()
    return text
  }

  it('keeps typed text and the text under every privacy mark out of the stored events', async () => {
    const text = await record('?marks', 'Revealed')

    expect(text).toContain('Ordinary heading text')
    for (const typed of Object.values(TYPED)) expect(text).not.toContain(typed)
    for (const secret of MARKED) expect(text).not.toContain(secret)
    expect(text).not.toContain('secret-')
  })

  it('masks every text on the page with maskAllText', async () => {
    // Masked text keeps its length: the status line's change shows as "********".
    const text = await record('?maskAllText', '"********"')

    expect(text).not.toContain('Ordinary heading text')
    expect(text).not.toContain('Revealed')
    expect(text).not.toContain('secret-')
  })
})
