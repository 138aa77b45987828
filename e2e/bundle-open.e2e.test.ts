import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { ALL_FORMATS, FilePathSource, Input } from 'mediabunny'
import type { SessionSummary } from '../shared/api'
import { shortenInactivity } from '../shared/inactivity'
import {
  cli,
  cliJson,
  launchChromium,
  makeDataDir,
  serve,
  serveSite,
  waitFor,
  type Serving,
} from './harness'

const SHOTS = process.env.REPLAYDESK_SCREENSHOTS

/**
 * A bundle opened without importing it: `replaydesk serve --bundle FILE` shows its sessions
 * in the UI, searchable and replayable, marked as the bundle's, and records nothing. The
 * recorded page shows an image from its site, and the site is gone before the bundle is
 * opened: the image can only come from the bundle (or, for the page, from the page itself).
 */
describe('serve --bundle', () => {
  const recorded = makeDataDir()
  const elsewhere = makeDataDir()
  const bundle = join(recorded.dir, 'shared.replaydesk')
  let browser: Browser
  let viewer: Serving
  let session: SessionSummary
  let siteUrl: string

  beforeAll(async () => {
    const recorder = await serve(recorded.dir)
    const site = await serveSite(recorder.collectorUrl)
    browser = await launchChromium()
    const page = await browser.newPage()
    siteUrl = site.url
    await page.goto(`${site.url}/shop.html`)
    await page.click('#pay')
    await page.evaluate(() => {
      const proof = Object.assign(document.createElement('img'), { id: 'proof' })
      proof.setAttribute('src', '/offline-dot.png')
      document.body.append(proof)
    })
    session = await waitFor('the session and its image to be stored', () => {
      const [s] = cliJson<SessionSummary[]>(['search', '--data', recorded.dir])
      const stats = JSON.parse(cli(['stats', '--data', recorded.dir, '--json']).stdout) as {
        assets: number
        assetsPending: number
      }
      const cached = stats.assets === 1 && stats.assetsPending === 0
      return s && s.events > 2 && s.tags.userId === 1258 && cached ? s : undefined
    })
    await page.close()
    site.close()
    await recorder.stop()

    const exported = cli(['export', '--data', recorded.dir, '--out', bundle])
    expect(exported.stdout).toMatch(/^Exported 1 session \(\d+ chunks, 1 assets, /)
    viewer = await serve(elsewhere.dir, 0, ['--bundle', bundle])
  })

  afterAll(async () => {
    await browser?.close()
    await viewer?.stop()
    recorded.remove()
    elsewhere.remove()
  })

  it('says which bundle it shows', () => {
    expect(viewer.output()).toContain(`Bundle:    ${bundle} (read-only)`)
  })

  it('lists, finds and replays the bundle’s sessions, marked as the bundle’s', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const toSite: string[] = []
    page.on('request', (r) => void (r.url().startsWith(siteUrl) && toSite.push(r.url())))
    await page.goto(viewer.uiUrl)

    await page.locator('[data-testid=library-banner]', { hasText: 'shared.replaydesk' }).waitFor()
    await page.fill('[data-testid=search]', 'userId:1258')
    await page.locator('[data-testid=result-count]', { hasText: '1 session' }).waitFor()

    await page.locator(`[data-session-id="${session.id}"]`).click()
    const replay = page
      .frameLocator('[data-testid=player-frame]')
      .frameLocator('[data-testid=player-viewport] iframe')
    await replay.locator('text=Payment accepted').waitFor({ timeout: 15_000 })

    const proof = replay.locator('#proof')
    await waitFor('the recorded image to show', async () =>
      (await proof.evaluate((img: HTMLImageElement) => img.naturalWidth)) === 2 ? true : undefined,
    )
    expect(await proof.getAttribute('src')).toMatch(
      new RegExp(`^${viewer.collectorUrl}/cache/[0-9a-f]{64}$`),
    )
    expect(toSite).toEqual([])
    await page.close()
  })

  it('records nothing and leaves the data directory untouched', async () => {
    const refused = await fetch(`${viewer.collectorUrl}/ingest`, { method: 'POST', body: '{}' })
    expect(refused.status).toBe(403)
    expect(existsSync(join(elsewhere.dir, 'replaydesk.db'))).toBe(false)
  })

  it('exports one session as a page that replays offline with no request', async () => {
    const file = join(recorded.dir, 'session.html')
    const exported = cli(['export', '--data', recorded.dir, '--html', '--out', file, session.id])
    expect(exported.stdout).toMatch(
      /^Exported session \S+ as a page \([\d.]+ MB, 1 assets inlined\) to /,
    )

    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } })
    await context.setOffline(true)
    const page = await context.newPage()
    const requests: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))

    await page.goto(`file://${file}`)
    await page.locator('body[data-state=ended]').waitFor({ timeout: 30_000 })
    const replay = page.frameLocator('#viewport iframe')
    await replay.locator('text=Payment accepted').waitFor()
    expect(await page.locator('#title').textContent()).toBe('john@example.com')
    const proof = replay.locator('#proof')
    expect(await proof.getAttribute('src')).toMatch(/^data:image\/png;base64,/)
    await waitFor('the inlined image to show', async () =>
      (await proof.evaluate((img: HTMLImageElement) => img.naturalWidth)) === 2 ? true : undefined,
    )

    expect(requests.filter((url) => !/^(file|data|about|blob):/.test(url))).toEqual([])
    expect(problems).toEqual([])
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'html-page.png') })
    await context.close()
  })

  it('renders one session as a video of the expected length', async () => {
    const file = join(recorded.dir, 'session.webm')
    const exported = cli([
      'export',
      '--data',
      recorded.dir,
      '--video',
      '--speed',
      '2',
      '--out',
      file,
      session.id,
    ])
    expect(exported.status).toBe(0)

    const events = JSON.parse(cli(['events', '--data', recorded.dir, session.id]).stdout)
    const expectedSeconds = Math.ceil((shortenInactivity(events).duration / 2 / 1000) * 15) / 15
    const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS })
    const track = (await input.getPrimaryVideoTrack())!
    expect(track.codec).toBe('vp8')
    expect(await input.computeDuration()).toBeCloseTo(expectedSeconds, 1)
    expect(exported.stdout).toContain(`as a ${expectedSeconds.toFixed(1)} s video`)
  })

  it('says which browser a video needs when it finds none', () => {
    const result = cli(
      [
        'export',
        '--data',
        recorded.dir,
        '--video',
        '--out',
        join(recorded.dir, 'x.webm'),
        session.id,
      ],
      { ...process.env, REPLAYDESK_CHROMIUM: '/nowhere/chromium' },
    )
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('renders with Chromium and found none')
    expect(result.stderr).toContain('REPLAYDESK_CHROMIUM')
  })

  it('refuses a file that is not a bundle in one line', async () => {
    const result = cli(['serve', '--port', '0', '--bundle', join(recorded.dir, 'replaydesk.db')])
    expect(result.status).toBe(1)
    expect(result.stderr.trim()).toMatch(/^replaydesk: .*replaydesk\.db: .*not a bundle/)
  })
})
