/**
 * Offline assets for real: Chromium records a page whose image and CSS background come from
 * the recorded site; the collector caches them; then the site goes away and the UI replays
 * the session with both images loaded from the collector and no request to the site.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import Database from 'better-sqlite3'
import type { SessionSummary } from '../shared/api'
import { cli, cliJson, launchChromium, makeDataDir, serve, waitFor, type Serving } from './harness'

const PNG = readFileSync(join(import.meta.dirname, 'fixtures', 'offline-dot.png'))

function page(collector: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Assets</title>
<link rel="stylesheet" href="/style.css">
<script async src="${collector}/snippet.js"></script></head>
<body><h1>Offline assets</h1>
<img id="dot" src="/dot.png" width="20" height="20">
<div id="bg" style="width:20px;height:20px;background:url(/bg.png)"></div>
</body></html>`
}

/** The recorded site: a page, an image, a stylesheet and a background image. */
function serveSite(collector: string): Promise<Server> {
  const server = createServer((req, res) => {
    const files: Record<string, [string, string | Buffer]> = {
      '/page.html': ['text/html; charset=utf-8', page(collector)],
      '/style.css': ['text/css', 'h1 { color: rgb(1, 2, 3) }'],
      '/dot.png': ['image/png', PNG],
      '/bg.png': ['image/png', PNG],
    }
    const file = files[req.url ?? '']
    if (!file) return void res.writeHead(404).end()
    res.writeHead(200, { 'Content-Type': file[0] }).end(file[1])
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

describe('a session replayed after its site went away', () => {
  const data = makeDataDir()
  let server: Serving
  let browser: Browser
  let siteOrigin: string
  let session: SessionSummary

  beforeAll(async () => {
    server = await serve(data.dir)
    const site = await serveSite(server.collectorUrl)
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`
    browser = await launchChromium()

    const recorded = await browser.newPage()
    await recorded.goto(`${siteOrigin}/page.html`)
    session = await waitFor('the session and its cached assets', () => {
      const [s] = cliJson<SessionSummary[]>(['search', '--data', data.dir])
      const stats = cli(['stats', '--data', data.dir, '--json']).stdout
      const { assetUrls, assetsPending } = JSON.parse(stats) as Record<string, number>
      return s && (assetUrls ?? 0) >= 2 && assetsPending === 0 ? s : undefined
    })
    await recorded.close()
    site.closeAllConnections()
    site.close()
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    data.remove()
  })

  it('caches the image once, however many URLs serve it', () => {
    const db = new Database(join(data.dir, 'replaydesk.db'), { readonly: true })
    const hashOf = db.prepare("SELECT hash FROM asset_urls WHERE url = ? AND status = 'ok'")
    const dot = hashOf.get(`${siteOrigin}/dot.png`) as { hash: string } | undefined
    const bg = hashOf.get(`${siteOrigin}/bg.png`) as { hash: string } | undefined
    const copies = db.prepare('SELECT count(*) AS n FROM asset_blobs WHERE hash = ?').get(dot?.hash)
    db.close()

    expect(dot?.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(bg?.hash).toBe(dot?.hash)
    expect(copies).toEqual({ n: 1 })
    const stats = JSON.parse(cli(['stats', '--data', data.dir, '--json']).stdout) as {
      assetFailures: number
    }
    expect(stats.assetFailures).toBe(0)
  })

  it('replays with the images from the collector and asks the old site for nothing', async () => {
    const ui = await browser.newPage()
    const toSite: string[] = []
    ui.on('request', (request) => {
      if (request.url().startsWith(siteOrigin)) toSite.push(request.url())
    })
    await ui.goto(server.uiUrl)
    await ui.locator(`[data-session-id="${session.id}"]`).click()

    // The replay runs inside the player frame, on the player's own origin.
    const replay = ui
      .frameLocator('[data-testid=player-frame]')
      .frameLocator('[data-testid=player-viewport] iframe')
    const dot = replay.locator('#dot')
    await dot.waitFor()
    await waitFor('the cached image to load', async () =>
      (await dot.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)) === 2
        ? true
        : undefined,
    )
    expect(await dot.getAttribute('src')).toMatch(
      new RegExp(`^${server.collectorUrl}/cache/[0-9a-f]{64}$`),
    )
    const background = await replay
      .locator('#bg')
      .evaluate((div) => getComputedStyle(div).backgroundImage)
    expect(background).toContain(`${server.collectorUrl}/cache/`)
    expect(toSite).toEqual([])

    const recorded = cli(['events', '--data', data.dir, session.id]).stdout
    expect(recorded).toContain(`${siteOrigin}/dot.png`)
    await ui.close()
  })
})
