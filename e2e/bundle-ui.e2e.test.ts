import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Browser, Page } from 'playwright-core'
import type { SessionSummary } from '../shared/api'
import { batchSchema } from '../shared/batchSchema'
import type { BatchInput } from '../shared/wire'
import { Store } from '../electron/store/Store'
import { makeBatch } from '../electron/testing/makeBatch'
import { cli, cliJson, launchChromium, makeDataDir, serve, type Serving } from './harness'

const T = 1_764_000_000_000
const SHOTS = process.env.REPLAYDESK_SCREENSHOTS

/** Sessions tagged with a plan, one minute apart, written straight into a store. */
function seed(dir: string, plans: string[]): void {
  const store = Store.open(dir)
  const ingest = (input: BatchInput) =>
    store.ingest(batchSchema.parse(input), gzipSync(JSON.stringify(input)))
  plans.forEach((plan, i) =>
    ingest(
      makeBatch(
        { sid: `session-${plan}-${i}`, commands: [{ op: 'tag', t: T, value: { plan } }] },
        T + i * 60_000,
      ),
    ),
  )
  store.close()
}

async function openUi(browser: Browser, serving: Serving): Promise<Page> {
  const page = await browser.newPage({ acceptDownloads: true })
  await page.goto(serving.uiUrl)
  await page.getByTestId('result-count').waitFor()
  return page
}

async function searchFor(page: Page, query: string): Promise<void> {
  await page.getByRole('searchbox').fill(query)
  await page.getByRole('searchbox').press('Enter')
}

/**
 * Export and import as a person does them in the UI: tick sessions or search, export, get
 * a file; import it elsewhere through the file dialog or by dropping it on the window, and
 * read the progress and the summary. Real servers, stores and Chromium throughout.
 */
describe('exporting and importing bundles in the UI', () => {
  const source = makeDataDir()
  const target = makeDataDir()
  let browser: Browser
  let from: Serving
  let to: Serving
  let exported = ''

  beforeAll(async () => {
    seed(source.dir, ['pro', 'free', 'pro', 'team'])
    ;[from, to, browser] = await Promise.all([
      serve(source.dir),
      serve(target.dir),
      launchChromium(),
    ])
  })

  afterAll(async () => {
    await browser?.close()
    await Promise.all([from?.stop(), to?.stop()])
    source.remove()
    target.remove()
  })

  it('exports the ticked sessions as a download', async () => {
    const page = await openUi(browser, from)
    await searchFor(page, 'plan:pro')
    await page.getByTestId('result-count').filter({ hasText: '2 sessions' }).waitFor()
    await page.getByTestId('pick').first().check()
    await expect(page.getByTestId('export').textContent()).resolves.toContain('Export 1 picked')

    const downloading = page.waitForEvent('download')
    await page.getByTestId('export').click()
    const download = await downloading
    expect(download.suggestedFilename()).toMatch(/^replaydesk-[\d-]+\.replaydesk$/)
    exported = join(source.dir, 'picked.replaydesk')
    await download.saveAs(exported)
    await expect(page.getByTestId('transfer-result').textContent()).resolves.toContain(
      'Exported 1 session to',
    )
    await page.getByTestId('unpick').click()
    await page.getByTestId('export').filter({ hasText: 'Export 2 results' }).waitFor()
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'ui-export.png') })

    // The file is a whole bundle: the command line imports it.
    const check = makeDataDir()
    expect(cli(['import', '--data', check.dir, exported]).stdout).toContain('1 session (1 new)')
    check.remove()
    await page.close()
  })

  it('exports every result of the search when nothing is ticked', async () => {
    const page = await openUi(browser, from)
    await searchFor(page, 'plan:pro')
    await page.getByTestId('export').filter({ hasText: 'Export 2 results' }).waitFor()
    const downloading = page.waitForEvent('download')
    await page.getByTestId('export').click()
    const results = join(source.dir, 'results.replaydesk')
    await (await downloading).saveAs(results)

    const check = makeDataDir()
    cli(['import', '--data', check.dir, results])
    const imported = cliJson<SessionSummary[]>(['search', '--data', check.dir])
    const matching = cliJson<SessionSummary[]>(['search', '--data', source.dir, 'plan:pro'])
    expect(imported).toEqual(matching)
    check.remove()
    await page.close()
  })

  it('imports through the file dialog, shows the summary and lists the sessions', async () => {
    // While Replaydesk runs on the library, the command line points to its window.
    const busy = cli(['import', '--data', target.dir, exported])
    expect(busy.status).toBe(1)
    expect(busy.stderr).toMatch(/Replaydesk is running on .*: import from its window/)

    const page = await openUi(browser, to)
    await page.getByTestId('result-count').filter({ hasText: '0 sessions' }).waitFor()

    const choosing = page.waitForEvent('filechooser')
    await page.getByTestId('import').click()
    await (await choosing).setFiles(exported)

    const result = page.getByTestId('transfer-result')
    await result.filter({ hasText: 'Imported 1 session (1 new)' }).waitFor()
    await expect(page.getByTestId('transfer-status').textContent()).resolves.toContain(
      'picked.replaydesk: 1 session (1 new)',
    )
    // The list follows without a reload: the imported session is searchable at once.
    await page.getByTestId('result-count').filter({ hasText: '1 session' }).waitFor()
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'ui-import.png') })
    await page.close()
  })

  it('imports files dropped on the window, refusing a damaged one in its own line', async () => {
    const page = await openUi(browser, to)
    const damaged = join(source.dir, 'damaged.replaydesk')
    const bytes = readFileSync(exported)
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 1500))
    const before = cliJson<SessionSummary[]>(['search', '--data', target.dir])
    await watchForProgressBar(page)

    await dropFiles(page, [
      { name: 'picked.replaydesk', bytes: readFileSync(exported) },
      { name: 'damaged.replaydesk', bytes: readFileSync(damaged) },
    ])

    const result = page.getByTestId('transfer-result')
    await result.filter({ hasText: 'Imported 1 session (0 new); 1 file refused' }).waitFor()
    const status = await page.getByTestId('transfer-status').textContent()
    expect(status).toContain('picked.replaydesk: 1 session (0 new)')
    expect(status).toMatch(/damaged\.replaydesk: refused, .+; nothing imported/)
    expect(cliJson<SessionSummary[]>(['search', '--data', target.dir])).toEqual(before)
    expect(await page.evaluate(() => (window as { sawProgress?: boolean }).sawProgress)).toBe(true)
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'ui-drop.png') })
    await page.close()
  })

  it('opens a bundle read-only in a view of its own', async () => {
    const page = await openUi(browser, to)
    const choosing = page.waitForEvent('filechooser')
    await page.getByTestId('open-bundle').click()
    await (await choosing).setFiles(join(source.dir, 'results.replaydesk'))

    const opening = page.waitForEvent('popup')
    await page.getByTestId('opened-bundle').click()
    const view = await opening
    await view.getByTestId('library-banner').waitFor()
    await expect(view.getByTestId('library-banner').textContent()).resolves.toContain(
      'results.replaydesk',
    )
    await view.getByTestId('result-count').filter({ hasText: '2 sessions' }).waitFor()
    // Read-only: nothing to import into, and the library itself did not change.
    expect(await view.getByTestId('import').count()).toBe(0)
    await view.getByTestId('read-only-hint').waitFor()
    expect(await view.getByTestId('snippet-code').count()).toBe(0)
    expect(cliJson<SessionSummary[]>(['search', '--data', target.dir])).toHaveLength(1)
    if (SHOTS) await view.screenshot({ path: join(SHOTS, 'ui-open.png') })
    await page.close()
  })
})

/** Notes in the page whether a progress bar was ever shown, however briefly. */
async function watchForProgressBar(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen = window as { sawProgress?: boolean }
    seen.sawProgress = false
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=transfer-progress]')) seen.sawProgress = true
    }).observe(document.body, { subtree: true, childList: true })
  })
}

/** Drops files on the window as a person dragging them from a file manager would. */
async function dropFiles(page: Page, files: { name: string; bytes: Buffer }[]): Promise<void> {
  const encoded = files.map((f) => ({ name: f.name, base64: f.bytes.toString('base64') }))
  const transfer = await page.evaluateHandle((list) => {
    const data = new DataTransfer()
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))
      data.items.add(new File([bytes], f.name))
    }
    return data
  }, encoded)
  const target = page.locator('.app')
  await target.dispatchEvent('dragenter', { dataTransfer: transfer })
  await target.dispatchEvent('dragover', { dataTransfer: transfer })
  await page.getByTestId('drop-zone').waitFor()
  await target.dispatchEvent('drop', { dataTransfer: transfer })
}
