import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import type { SessionSummary } from '../shared/api'
import {
  cliJson,
  launchChromium,
  makeDataDir,
  serve,
  serveSite,
  waitFor,
  type Serving,
} from './harness'
import { openSession, replayOf } from './player'

/** Set to a directory to keep the README's screenshots of the player at work. */
const SCREENSHOTS = process.env.REPLAYDESK_SCREENSHOTS

/**
 * A real visit recorded by the snippet (the shop fixture, two pages) and replayed by the
 * player: its end must look like the live page looked at the end.
 */
describe('a recorded page replayed by the player', () => {
  const data = makeDataDir()
  let server: Serving
  let site: { url: string; close(): void }
  let browser: Browser
  let session: SessionSummary
  let liveText = ''
  let liveShot: Buffer

  beforeAll(async () => {
    server = await serve(data.dir)
    site = await serveSite(server.collectorUrl)
    browser = await launchChromium()

    const page = await browser.newPage({ viewport: { width: 800, height: 600 } })
    await page.goto(`${site.url}/shop.html`)
    await page.waitForFunction(
      () => (window as { __replaydeskLoaded?: boolean }).__replaydeskLoaded,
    )
    await page.waitForTimeout(1500)
    await page.click('#pay')
    await page.waitForTimeout(1500)
    await page.click('#next')
    await page.waitForSelector('text=Thank you for your order')
    await page.waitForTimeout(800)
    liveText = await page.locator('body').innerText()
    liveShot = await page.screenshot()
    await page.close({ runBeforeUnload: true })

    session = await waitFor('both pages', () => {
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

  it('ends on the same text and, within a tolerance, the same picture as the live page', async () => {
    // Room for the recorded 800×600 at full size, so the pictures compare pixel for pixel.
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } })
    await openSession(page, server.uiUrl, session.id, session.durationMs)
    const replay = replayOf(page)
    await replay.locator('text=Thank you for your order').waitFor()

    expect(await replay.locator('body').innerText()).toBe(liveText)
    const replayShot = await page
      .frameLocator('[data-testid=player-frame]')
      .locator('[data-testid=player-viewport] iframe')
      .screenshot()
    expect(await differingPixels(browser, liveShot, replayShot)).toBeLessThan(0.01)

    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true })
      await page.locator('[data-testid=progress]').fill(String(Math.round(session.durationMs / 3)))
      await replay.locator('text=Checkout page').waitFor()
      await page.screenshot({ path: join(SCREENSHOTS, 'player.png') })
      await page.keyboard.press('?')
      await page.locator('[data-testid=shortcut-help]').waitFor()
      await page.screenshot({ path: join(SCREENSHOTS, 'player-shortcuts.png') })
    }
    await page.close()
  })
})

/** The share of pixels that differ visibly between two PNGs of the same size, or 1. */
async function differingPixels(browser: Browser, a: Buffer, b: Buffer): Promise<number> {
  const page = await browser.newPage()
  try {
    return await page.evaluate(
      async ([pngA, pngB]) => {
        const decode = async (base64: string) => {
          const blob = await (await fetch(`data:image/png;base64,${base64}`)).blob()
          const bitmap = await createImageBitmap(blob)
          const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
          const context = canvas.getContext('2d')!
          context.drawImage(bitmap, 0, 0)
          return context.getImageData(0, 0, bitmap.width, bitmap.height)
        }
        const [x, y] = await Promise.all([decode(pngA!), decode(pngB!)])
        if (x.width !== y.width || x.height !== y.height) {
          throw new Error(`sizes differ: ${x.width}×${x.height} and ${y.width}×${y.height}`)
        }
        let differing = 0
        for (let i = 0; i < x.data.length; i += 4) {
          const delta = Math.max(
            Math.abs(x.data[i]! - y.data[i]!),
            Math.abs(x.data[i + 1]! - y.data[i + 1]!),
            Math.abs(x.data[i + 2]! - y.data[i + 2]!),
          )
          if (delta > 40) differing++
        }
        return differing / (x.width * x.height)
      },
      [a.toString('base64'), b.toString('base64')],
    )
  } finally {
    await page.close()
  }
}
