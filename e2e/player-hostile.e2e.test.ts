import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { launchChromium, makeDataDir, serve, type Serving } from './harness'
import { buildHostileEvents } from './fixtures/hostileRecording'
import { openSession, replayOf, sendBatch } from './player'

const SESSION = 'hostile-session-1'

/** A loopback stand-in for the rest of the internet, counting every request that reaches it. */
async function startRemote(): Promise<{ url: string; hits: string[]; close(): void }> {
  const hits: string[] = []
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '')
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Access-Control-Allow-Origin': '*' })
    res.end('')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  }
}

describe('a hostile recording', () => {
  const data = makeDataDir()
  let server: Serving
  let remote: Awaited<ReturnType<typeof startRemote>>
  let browser: Browser
  let events: unknown[]

  beforeAll(async () => {
    server = await serve(data.dir)
    remote = await startRemote()
    browser = await launchChromium()
    events = buildHostileEvents(remote.url, Date.now() - 10_000)
    await sendBatch(server.collectorUrl, {
      sid: SESSION,
      tab: 'hostile-tab-1',
      page: 'hostile-page-1',
      seq: 0,
      url: `${remote.url}/hostile.html`,
      events,
    })
  })

  afterAll(async () => {
    await browser?.close()
    remote?.close()
    await server?.stop()
    data.remove()
  })

  it('reaches the remote server when replayed without the player (the control)', async () => {
    const page = await browser.newPage()
    const require = createRequire(import.meta.url)
    const bundle = join(dirname(require.resolve('@rrweb/replay')), 'replay.umd.min.cjs')
    await page.setContent('<div id="root"></div>')
    await page.addScriptTag({ content: readFileSync(bundle, 'utf8') })
    await page.evaluate((recorded) => {
      const { Replayer } = (window as unknown as { rrwebReplay: typeof import('@rrweb/replay') })
        .rrwebReplay
      const r = new Replayer(recorded as never, { root: document.getElementById('root')! })
      r.pause(r.getMetaData().totalTime + 1)
    }, events)
    await page.waitForTimeout(1000)
    await page.close()

    expect(remote.hits.length).toBeGreaterThan(0)
    remote.hits.length = 0
  })

  it('replays its text with no script run and zero requests outside its own origins', async () => {
    const context = await browser.newContext()
    // Chromium reports the requests a page tries, then fails those the CSP blocks: what left
    // is what got an answer.
    const requested: string[] = []
    const answered: string[] = []
    const failures = new Set<string>()
    context.on('request', (request) => requested.push(request.url()))
    context.on('response', (response) => answered.push(response.url()))
    context.on('requestfailed', (request) => failures.add(request.failure()?.errorText ?? ''))
    const dialogs: string[] = []
    const page = await context.newPage()
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })

    await openSession(page, server.uiUrl, SESSION)
    const replay = replayOf(page)
    await replay.locator('text=Hostile fixture').waitFor({ timeout: 15_000 })
    // Past the mutation that adds more of the same, with time for anything to fire.
    await page.locator('[data-testid=progress]').fill(String(3000))
    await page.waitForTimeout(2500)

    const pwned = await replay.locator('[data-pwned]').count()
    const parentPwned = await page
      .frameLocator('[data-testid=player-frame]')
      .locator('[data-pwned]')
      .count()
    const playerUrl = await page.locator('[data-testid=player-frame]').getAttribute('src')
    const sandboxes = [
      await page.locator('[data-testid=player-frame]').getAttribute('sandbox'),
      await page
        .frameLocator('[data-testid=player-frame]')
        .locator('[data-testid=player-viewport] iframe')
        .getAttribute('sandbox'),
    ]
    await context.close()

    // The player runs its own script only; rrweb's replay frame runs none.
    expect(sandboxes).toEqual(['allow-scripts allow-same-origin', 'allow-same-origin'])
    expect(pwned).toBe(0)
    expect(parentPwned).toBe(0)
    expect(dialogs).toEqual([])
    expect(remote.hits).toEqual([])
    const allowed = new Set([new URL(server.uiUrl).origin, new URL(playerUrl!).origin])
    const isOutside = (url: string) =>
      !/^(data|blob|about):/.test(url) && !allowed.has(new URL(url).origin)
    expect(answered.filter(isOutside)).toEqual([])
    expect(answered.length).toBeGreaterThan(0)
    // The recording did try: every attempt was refused by the player's policy.
    expect(requested.filter(isOutside).length).toBeGreaterThan(0)
    expect([...failures]).toEqual(['csp'])
  })

  it('shows its recorded URL as text in the address bar above the replay', async () => {
    const page = await browser.newPage()
    await openSession(page, server.uiUrl, SESSION)
    const bar = page.locator('[data-testid=current-url]')
    await bar.filter({ hasText: '/hostile.html' }).waitFor()
    expect(await bar.textContent()).toContain('/hostile.html?q=<b>bold</b>')
    expect(await bar.locator('b').count()).toBe(0)
    await page.close()
  })
})
