/**
 * The player on generated recordings of 15 and 60 minutes, through the real UI, player frame
 * and `replaydesk serve` in Chromium: time to the first frame at a moment deep in the
 * recording, seek latency, and the heap the player holds. The baseline loads the whole
 * recording into the same player frame, as the player did before windowed loading.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Page } from 'playwright-core'
import { batchSchema } from '../shared/batchSchema'
import { Store } from '../electron/store/Store'
import { launchChromium, serve } from '../e2e/harness'
import { replayOf, sessionHash } from '../e2e/player'
import { percentiles, printTable } from './table'
import { documentNode } from '../e2e/fixtures/markedSession'

const SID = 'bench-session-0001'
const TAB = 'bench-tab-00001'
const SEEKS = 12

export default async function run(): Promise<void> {
  const rows: (string | number)[][] = []
  for (const minutes of [15, 60]) rows.push(await measure(minutes))
  printTable(
    [
      'recording',
      'events',
      'open ms',
      'seek ms median / p95',
      'load window ms',
      'load whole ms',
      'heap MB window',
      'heap MB whole',
    ],
    rows,
  )
  process.stdout.write(
    '\nopen: a link to 3/4 of the way in, from following it until the replay shows that\n' +
      '  second, booting the player frame included (aim: 1 s).\n' +
      'seek: random moments, in and out of the loaded window, until shown (aim: 300 ms).\n' +
      'load window / whole: one moment 1/10 in, loaded into the booted player from its\n' +
      '  snapshot (what the player does) or with every event (the old way: the baseline).\n' +
      'heap: the page after garbage collection with that window, or with every event.\n' +
      'Includes Playwright round trips; a shared 2-core machine adds noise.\n',
  )
}

async function measure(minutes: number): Promise<(string | number)[]> {
  const dir = mkdtempSync(join(tmpdir(), 'replaydesk-bench-'))
  const t0 = Date.UTC(2026, 11, 3, 9)
  const events = generate(dir, t0, minutes)
  const server = await serve(dir)
  const browser = await launchChromium()
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } })
    await page.goto(server.uiUrl)
    await page.locator('[data-testid=result-count]').waitFor()

    // Opening a session at a moment: the player frame boots, then loads its window.
    const atMs = Math.round(minutes * 60_000 * 0.75) + 500
    const opened = performance.now()
    await page.evaluate((hash) => (location.hash = hash), sessionHash(SID, atMs))
    await showsSecond(page, atMs)
    const firstFrame = performance.now() - opened

    const seeks: number[] = []
    for (let i = 0; i < SEEKS; i++) {
      const target = Math.round((((i * 7919) % 1000) / 1000) * (minutes * 60_000 - 2000)) + 500
      const started = performance.now()
      await page.locator('[data-testid=progress]').fill(String(target))
      await showsSecond(page, target)
      seeks.push(performance.now() - started)
    }
    const { median, p95 } = percentiles(seeks)

    // The same moment loaded both ways into the booted frame: its window, then everything.
    const early = Math.round(minutes * 60_000 * 0.1) + 500
    const windowStarted = performance.now()
    await page.locator('[data-testid=progress]').fill(String(early))
    await showsSecond(page, early)
    const windowLoad = performance.now() - windowStarted
    await page.waitForTimeout(300)
    const heap = await heapMb(page)

    const whole = await loadWhole(page, early)
    const wholeHeap = await heapMb(page)
    await page.close()

    return [
      `${minutes} min`,
      events,
      firstFrame.toFixed(0),
      `${median.toFixed(0)} / ${p95.toFixed(0)}`,
      windowLoad.toFixed(0),
      whole.toFixed(0),
      heap.toFixed(1),
      wholeHeap.toFixed(1),
    ]
  } finally {
    await browser.close()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The baseline: every event fetched at once and handed to the player frame. */
async function loadWhole(page: Page, atMs: number): Promise<number> {
  const started = performance.now()
  await page.evaluate(
    async ({ sid, atMs }) => {
      // No named helpers in here: tsx would wrap them in a function the page lacks.
      const response = await fetch('/api/getEvents', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Replaydesk-Token': sessionStorage.getItem('replaydesk:token') ?? '',
        },
        body: JSON.stringify([sid]),
      })
      const pages = ((await response.json()) as { result: { events: { timestamp: number }[] }[] })
        .result
      const events = pages.flatMap((p) => p.events)
      const frame = document.querySelector('iframe') as HTMLIFrameElement
      const message = { kind: 'load', events, atTs: events[0]!.timestamp + atMs, play: false }
      frame.contentWindow!.postMessage(message, new URL(frame.src).origin)
    },
    { sid: SID, atMs },
  )
  await showsSecond(page, atMs)
  return performance.now() - started
}

async function showsSecond(page: Page, ms: number): Promise<void> {
  await replayOf(page)
    .locator('h1', { hasText: new RegExp(`^${stamp(Math.floor(ms / 1000))}$`) })
    .waitFor({ timeout: 60_000 })
}

async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('HeapProfiler.collectGarbage')
  const { usedSize } = await cdp.send('Runtime.getHeapUsage')
  await cdp.detach()
  return usedSize / 1024 / 1024
}

function stamp(second: number): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(Math.floor(second / 3600))}:${pad(Math.floor(second / 60) % 60)}:${pad(second % 60)}`
}

/**
 * A page whose heading shows the elapsed time, updated every second, with 400 list items
 * and the mouse moving every 100 ms; a checkout every 5 minutes, in batches of 5 seconds,
 * as the snippet sends them. Returns the number of events.
 */
function generate(dir: string, t0: number, minutes: number): number {
  const store = Store.open(dir)
  let batch: unknown[] = []
  let seq = 0
  let count = 0

  const flush = () => {
    const parsed = batchSchema.parse({
      v: 1,
      sid: SID,
      tab: TAB,
      page: 'bench-page-0001',
      seq,
      meta:
        seq === 0
          ? {
              url: 'http://shop.test/long',
              title: 'A long visit',
              referrer: '',
              viewport: { width: 1024, height: 700 },
              screen: { width: 1920, height: 1080 },
              language: 'en',
              timeZone: 'UTC',
              userAgent: 'bench',
            }
          : undefined,
      commands: [],
      events: batch,
    })
    store.ingest(parsed, gzipSync(JSON.stringify(parsed)))
    count += batch.length
    batch = []
    seq++
  }

  for (let second = 0; second < minutes * 60; second++) {
    const ts = t0 + second * 1000
    if (second % 300 === 0) {
      batch.push({
        type: 4,
        timestamp: ts,
        data: { href: 'http://shop.test/long', width: 1024, height: 700 },
      })
      batch.push({
        type: 2,
        timestamp: ts + 1,
        data: { node: snapshot(stamp(second)), initialOffset: { top: 0, left: 0 } },
      })
      flush()
    } else {
      batch.push({
        type: 3,
        timestamp: ts + 2,
        data: {
          source: 0,
          texts: [{ id: 6, value: stamp(second) }],
          attributes: [],
          removes: [],
          adds: [],
        },
      })
    }
    for (let tenth = 1; tenth < 10; tenth++) {
      const x = (second * 37 + tenth * 53) % 1000
      batch.push({
        type: 3,
        timestamp: ts + tenth * 100,
        data: { source: 1, positions: [{ x, y: (x * 7) % 700, id: 4, timeOffset: 0 }] },
      })
    }
    if (second % 5 === 4) flush()
  }
  if (batch.length > 0) flush()
  store.close()
  return count
}

function snapshot(heading: string): unknown {
  let id = 100
  const items = Array.from({ length: 400 }, (_, i) => ({
    type: 2,
    id: ++id,
    tagName: 'li',
    attributes: { class: `item item-${i % 7}` },
    childNodes: [{ type: 3, id: ++id, textContent: `Product ${i} — in stock, ships tomorrow` }],
  }))
  return documentNode(heading, [
    { type: 2, id: 7, tagName: 'ul', attributes: {}, childNodes: items },
  ])
}
