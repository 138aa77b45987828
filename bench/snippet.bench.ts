/**
 * The snippet's cost to the pages it runs on: its size as served, and the main-thread time
 * it takes per minute of recording on a busy page, each next to rrweb's recorder alone
 * measured in the same run.
 *
 * Main-thread time is Chromium's own accounting (CDP Performance.getMetrics, TaskDuration
 * and ScriptDuration) over a fixed window while the page ticks and the mouse moves and
 * scrolls. The page alone is the baseline; the recorders' cost is what they add to it.
 * Task time includes style, layout and paint, which swing with machine load; script time
 * is the steadier figure to compare.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, makeDataDir, serve, serveSite } from '../e2e/harness'
import { printTable } from './table'

const WINDOW_MS = 15_000
const ROUNDS = 3

type Mode = 'page alone' | '@rrweb/record alone' | 'snippet.js'

export default async function run(): Promise<void> {
  const require = createRequire(import.meta.url)
  const snippet = readFileSync(join(import.meta.dirname, '..', 'out', 'snippet', 'snippet.js'))
  const rrwebDir = dirname(require.resolve('@rrweb/record'))
  const rrweb = readFileSync(join(rrwebDir, 'record.umd.min.cjs'))

  printSizes(snippet, rrweb)
  process.stdout.write('\n')
  await printMainThreadTime(rrweb.toString('utf8'))
}

function printSizes(snippet: Buffer, rrweb: Buffer): void {
  const kb = (n: number) => (n / 1024).toFixed(1)
  const ratio = (gzipSync(snippet).length / gzipSync(rrweb).length).toFixed(2)
  printTable(
    ['bundle', 'raw KB', 'gzip KB', 'gzip vs rrweb', 'budget'],
    [
      ['snippet.js (served)', kb(snippet.length), kb(gzipSync(snippet).length), ratio, '35.0'],
      ['@rrweb/record alone', kb(rrweb.length), kb(gzipSync(rrweb).length), '1.00', ''],
    ],
  )
}

async function printMainThreadTime(rrwebSource: string): Promise<void> {
  const data = makeDataDir()
  const server = await serve(data.dir)
  const site = await serveSite(server.collectorUrl)
  const browser = await launchChromium()
  const modes: Mode[] = ['page alone', '@rrweb/record alone', 'snippet.js']
  const samples = new Map<Mode, { task: number; script: number }[]>(modes.map((m) => [m, []]))

  try {
    // Rounds interleave the modes so that load from other work on the machine spreads evenly.
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of modes) {
        const loadRecorder = async (page: Page) => {
          if (mode === '@rrweb/record alone') {
            await page.addScriptTag({ content: rrwebSource })
            await page.evaluate(
              'window.__events = []; rrwebRecord.record({ emit: (e) => __events.push(e) })',
            )
          } else if (mode === 'snippet.js') {
            await page.addScriptTag({ url: `${server.collectorUrl}/snippet.js` })
          }
        }
        samples.get(mode)!.push(await measure(browser, `${site.url}/busy.html`, loadRecorder))
      }
    }
  } finally {
    await browser.close()
    site.close()
    await server.stop()
    data.remove()
  }

  const perMinute = (mode: Mode, key: 'task' | 'script') => {
    const list = samples.get(mode)!.map((s) => s[key])
    return (list.reduce((a, b) => a + b, 0) / list.length) * (60_000 / WINDOW_MS)
  }
  const added = (mode: Mode, key: 'task' | 'script') =>
    perMinute(mode, key) - perMinute('page alone', key)
  const rrwebScript = added('@rrweb/record alone', 'script')
  printTable(
    ['on busy.html', 'task ms/min', 'added', 'script ms/min', 'added', 'added script vs rrweb'],
    modes.map((mode) => {
      const alone = mode === 'page alone'
      return [
        mode,
        perMinute(mode, 'task').toFixed(0),
        alone ? '' : added(mode, 'task').toFixed(0),
        perMinute(mode, 'script').toFixed(0),
        alone ? '' : added(mode, 'script').toFixed(0),
        alone ? '' : (added(mode, 'script') / rrwebScript).toFixed(2),
      ]
    }),
  )
  process.stdout.write(
    `(${ROUNDS} rounds of ${WINDOW_MS / 1000} s each, mouse moving and page scrolling; ` +
      'the snippet also gzips and posts to a real collector)\n',
  )
}

/** Main-thread milliseconds a page spends in tasks and in script over the window. */
async function measure(
  browser: Browser,
  url: string,
  loadRecorder: (page: Page) => Promise<void>,
): Promise<{ task: number; script: number }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Performance.enable')
  await page.goto(url)
  await loadRecorder(page)
  await page.waitForTimeout(1000)

  const read = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics')
    const value = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0
    return { task: value('TaskDuration') * 1000, script: value('ScriptDuration') * 1000 }
  }
  const start = await read()
  const deadline = Date.now() + WINDOW_MS
  for (let step = 0; Date.now() < deadline; step++) {
    await page.mouse.move(100 + ((step * 37) % 600), 100 + ((step * 53) % 400))
    if (step % 10 === 0) await page.mouse.wheel(0, step % 20 === 0 ? 400 : -400)
    await page.waitForTimeout(50)
  }
  const end = await read()
  await context.close()
  return { task: end.task - start.task, script: end.script - start.script }
}
