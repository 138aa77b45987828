/** Helpers for the player's end-to-end tests: sending recordings and opening the player. */
import type { FrameLocator, Page } from 'playwright-core'
import { INGEST_PATH } from '../shared/wire'

/** Posts one batch of events to the collector, as the snippet (or anyone) could. */
export async function sendBatch(
  collectorUrl: string,
  batch: {
    sid: string
    tab: string
    page: string
    seq: number
    url: string
    events: unknown[]
    commands?: unknown[]
  },
): Promise<void> {
  const body = {
    v: 1,
    sid: batch.sid,
    tab: batch.tab,
    page: batch.page,
    seq: batch.seq,
    meta: {
      url: batch.url,
      title: 'Recorded page',
      referrer: '',
      viewport: { width: 800, height: 600 },
      screen: { width: 1920, height: 1080 },
      language: 'en',
      timeZone: 'UTC',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36',
    },
    commands: batch.commands ?? [],
    events: batch.events,
  }
  const response = await fetch(`${collectorUrl}${INGEST_PATH}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`ingest refused: ${await response.text()}`)
}

/** Opens the UI (with its token) and then a session by its link, `#/session/ID?t=MS`. */
export async function openSession(page: Page, uiUrl: string, id: string, ms?: number) {
  await page.goto(uiUrl)
  await page.locator('[data-testid=result-count]').waitFor()
  await page.evaluate((hash) => (location.hash = hash), sessionHash(id, ms))
  await page.locator('[data-testid=player-frame]').waitFor()
}

export function sessionHash(id: string, ms?: number): string {
  return ms === undefined ? `#/session/${id}` : `#/session/${id}?t=${ms}`
}

/** The recorded page as replayed, inside rrweb's iframe inside the player frame. */
export function replayOf(page: Page): FrameLocator {
  return page
    .frameLocator('[data-testid=player-frame]')
    .frameLocator('[data-testid=player-viewport] iframe')
}
