import { Command, InvalidArgumentError } from 'commander'
import { join } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { SORT_ORDERS, type SessionSummary, type SortOrder } from '../../shared/api'
import { formatDuration, plural } from '../../shared/format'
import { QuerySyntaxError } from '../../shared/query'
import { formatTagValue } from '../../shared/tags'
import { buildIndex } from '../index/buildIndex'
import { SessionIndex } from '../index/SessionIndex'
import { createLogger } from '../logger'
import { DataDirError, resolveDataDir } from '../paths'
import { retentionFromEnvironment, RetentionSettingError } from '../retention/applyRetention'
import { DEFAULT_PORT } from '../server/startServer'
import { startBackend } from '../service/startBackend'
import { BundleError, importBundle } from '../bundle/readBundle'
import { writeBundle } from '../bundle/writeBundle'
import { writeHtmlReplay } from '../bundle/writeHtmlReplay'
import { INLINE_BUDGET_BYTES, inlineAssets } from '../bundle/inlineAssets'
import { ChromiumMissingError } from '../bundle/findChromium'
import { appVersion } from '../paths'
import { existsSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { openBundle, type OpenedBundle } from '../bundle/openBundle'
import { acquireWriterLock, WriterLockError } from '../store/acquireWriterLock'
import { DATABASE_FILE, Store } from '../store/Store'

/** A failure the user can fix: printed as one line, exit status 1. */
class UsageError extends Error {}

const out = (text: string): void => void process.stdout.write(`${text}\n`)

function parseSpeed(value: string): number {
  const speed = Number(value)
  if (!(speed >= 0.25 && speed <= 64)) {
    throw new InvalidArgumentError('a speed is a number from 0.25 to 64')
  }
  return speed
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535')
  }
  return port
}

function parsePositive(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('give a number above 0')
  return n
}

interface ServeOptions {
  port: number
  data?: string
  keepDays?: number
  maxDiskMb?: number
  fetchAssets: boolean
  bundle?: string
}

async function serve(options: ServeOptions): Promise<void> {
  const opened = options.bundle ? await openBundleOrExplain(options.bundle) : null
  const dataDir = opened?.dataDir ?? resolveDataDir(options.data, 'write')
  const bundle = options.bundle ? basename(options.bundle) : undefined
  const fromEnvironment = retentionFromEnvironment()
  const logger = createLogger(dataDir)
  const backend = await startBackend({
    dataDir,
    port: options.port,
    logger,
    serveUi: true,
    bundle,
    retention: {
      maxAgeDays: options.keepDays ?? fromEnvironment.maxAgeDays,
      maxBytes:
        options.maxDiskMb === undefined
          ? fromEnvironment.maxBytes
          : options.maxDiskMb * 1024 * 1024,
    },
    assets: options.fetchAssets ? {} : false,
  }).catch((error: NodeJS.ErrnoException) => {
    opened?.remove()
    if (error.code === 'EADDRINUSE') {
      throw new UsageError(`port ${options.port} is in use: pick another with --port`)
    }
    throw error
  })

  out(`Collector: ${backend.server.collectorUrl}`)
  out(`Snippet:   ${backend.server.collectorUrl}/snippet.js`)
  out(`UI:        ${backend.server.uiUrl}`)
  if (opened) out(`Bundle:    ${resolve(options.bundle!)} (read-only)`)
  else out(`Data:      ${dataDir}`)
  out('Press Ctrl+C to stop.')
  logger.info({ url: backend.server.collectorUrl }, 'serving')

  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping')
    void backend.stop().then(() => {
      logger.flush()
      opened?.remove()
      out('Stopped.')
      process.exit(0)
    })
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}

/** Runs a read-only command against the store, beside a running writer if there is one. */
function withStore<T>(data: string | undefined, read: (store: Store) => T): T {
  const store = Store.open(resolveDataDir(data, 'read'), { readonly: true })
  try {
    return read(store)
  } finally {
    store.close()
  }
}

/** Runs a command that deletes, as the data directory's only writer. */
async function withWriter<T>(data: string | undefined, write: (store: Store) => Promise<T>) {
  const dataDir = resolveDataDir(data, 'read')
  const lock = acquireWriterLock(dataDir)
  const store = Store.open(dataDir)
  try {
    return await write(store)
  } finally {
    store.close()
    lock.release()
  }
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim())
  } finally {
    prompt.close()
  }
}

/** The whole store indexed, as `serve` indexes it: what a query runs against. */
async function indexOf(store: Store): Promise<SessionIndex> {
  const index = new SessionIndex()
  await buildIndex(store, index).done
  return index
}

async function deleteMatching(query: string, options: { data?: string; yes?: boolean }) {
  await withWriter(options.data, async (store) => {
    const sessions = (await indexOf(store)).search(query)
    const ids = sessions.map((s) => s.id)
    if (ids.length === 0) return out('No sessions match.')

    // Bare words match by prefix and typo too: show what goes before it goes.
    for (const session of sessions) out(describeSession(session))
    const what = `${plural(ids.length, 'session')} with their events, tags and cached assets`
    if (!options.yes) {
      if (!process.stdin.isTTY) {
        throw new UsageError(`this would delete ${what}; add --yes to delete without asking`)
      }
      if (!(await confirm(`Delete ${what}?`))) return out('Nothing deleted.')
    }

    const removed = store.deleteSessions(ids)
    store.reclaimSpace()
    out(`Deleted ${plural(removed.sessions, 'session')} and ${plural(removed.assets, 'asset')}.`)
  })
}

function setPinned(id: string, pinned: boolean, options: { data?: string }): void {
  const store = Store.open(resolveDataDir(options.data, 'read'))
  try {
    if (!store.setPinned(id, pinned)) throw new UsageError(`no session with id ${id}`)
  } finally {
    store.close()
  }
  out(pinned ? `Pinned ${id}: retention keeps it.` : `Unpinned ${id}.`)
}

function stats(options: { data?: string; json?: boolean }): void {
  const dataDir = resolveDataDir(options.data, 'read')
  const s = withStore(dataDir, (store) => store.stats())
  if (options.json) return out(JSON.stringify(s, null, 2))

  out(`Sessions:  ${plural(s.sessions, 'session')} (${s.pinned.toLocaleString('en')} pinned)`)
  out(`Events:    ${plural(s.events, 'event')}, ${formatBytes(s.eventBytes)} compressed`)
  out(
    `Assets:    ${plural(s.assets, 'file')}, ${formatBytes(s.assetBytes)} ` +
      `(${plural(s.assetUrls, 'URL')}: ${s.assetFailures.toLocaleString('en')} failed, ` +
      `${s.assetsPending.toLocaleString('en')} pending)`,
  )
  out(`On disk:   ${formatBytes(s.fileBytes)} in ${join(dataDir, DATABASE_FILE)}`)
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

interface SearchFlags {
  data?: string
  json?: boolean
  sort: SortOrder
  limit?: number
}

async function search(query: string, options: SearchFlags): Promise<void> {
  const store = Store.open(resolveDataDir(options.data, 'read'), { readonly: true })
  let sessions: SessionSummary[]
  try {
    sessions = (await indexOf(store)).search(query, options.sort)
  } finally {
    store.close()
  }
  const total = sessions.length
  if (options.limit !== undefined) sessions = sessions.slice(0, options.limit)

  if (options.json) return out(JSON.stringify(sessions, null, 2))
  if (sessions.length === 0) return out('No sessions match.')
  for (const s of sessions) out(describeSession(s))
  const shown = sessions.length < total ? `${sessions.length} of ` : ''
  out(`${shown}${total} session${total === 1 ? '' : 's'}`)
}

function parseSort(value: string): SortOrder {
  if (!SORT_ORDERS.includes(value as SortOrder)) {
    throw new InvalidArgumentError(`sort by one of ${SORT_ORDERS.join(', ')}`)
  }
  return value as SortOrder
}

function parseLimit(value: string): number {
  const limit = Number(value)
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InvalidArgumentError('a limit is a whole number of 1 or more')
  }
  return limit
}

function describeSession(s: SessionSummary): string {
  const tags = [
    ...Object.entries(s.tags).map(([k, v]) => `${k}:${formatTagValue(v)}`),
    ...s.stringTags.map((t) => JSON.stringify(t)),
  ]
  return [
    s.id,
    s.startedAt.replace('T', ' ').slice(0, 19),
    formatDuration(s.durationMs).padStart(7),
    `${s.pages} page${s.pages === 1 ? '' : 's'}`.padEnd(8),
    s.identity ?? '-',
    tags.join(' '),
  ].join('  ')
}

function show(id: string, options: { data?: string; json?: boolean }): void {
  const detail = withStore(options.data, (store) => store.getDetail(id))
  if (!detail) throw new UsageError(`no session with id ${id}`)

  if (options.json) return out(JSON.stringify(detail, null, 2))

  out(describeSession(detail))
  for (const page of detail.pageList) out(`  ${page.startedAt}  ${page.url}  ${page.title}`)
}

function events(id: string, options: { data?: string }): void {
  const pages = withStore(options.data, (store) =>
    store.getDetail(id) ? store.getEvents(id) : undefined,
  )
  if (!pages) throw new UsageError(`no session with id ${id}`)
  out(JSON.stringify(pages.flatMap((p) => p.events)))
}

/** Prints progress on long work: nothing for the first second, then at most once a second. */
function progressPrinter(): (line: string) => void {
  const started = Date.now()
  let last = 0
  return (line) => {
    const now = Date.now()
    if (now - started < 1000 || now - last < 1000) return
    last = now
    process.stderr.write(process.stderr.isTTY ? `\r${line}\u001b[K` : `${line}\n`)
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

async function openBundleOrExplain(file: string): Promise<OpenedBundle> {
  try {
    return await openBundle(resolve(file))
  } catch (error) {
    if (error instanceof BundleError) throw new UsageError(`${file}: ${error.message}`)
    throw error
  }
}

interface ExportCliOptions {
  data?: string
  out: string
  force?: boolean
  html?: boolean
  video?: boolean
  speed: number
}

async function exportSessions(query: string, options: ExportCliOptions): Promise<void> {
  const file = resolve(options.out)
  if (existsSync(file) && !options.force) {
    throw new UsageError(`${file} exists: choose another name, or add --force to replace it`)
  }
  if (options.html && options.video) throw new UsageError('choose --html or --video, not both')
  if (options.html) return exportHtml(query, file, options)
  if (options.video) return exportVideo(query, file, options)

  const store = Store.open(resolveDataDir(options.data, 'read'), { readonly: true })
  try {
    const ids = (await indexOf(store)).search(query).map((s) => s.id)
    if (ids.length === 0) {
      process.stderr.write('No sessions match: nothing written.\n')
      return
    }

    const progress = progressPrinter()
    const counts = await writeBundle(store, ids, file, {
      appVersion: appVersion(),
      query,
      onProgress: (p) =>
        progress(`Exporting ${p.sessions}/${p.totalSessions} sessions, ${megabytes(p.bytes)}`),
    })
    if (process.stderr.isTTY) process.stderr.write('\r\u001b[K')
    out(
      `Exported ${counts.sessions} session${counts.sessions === 1 ? '' : 's'} ` +
        `(${counts.chunks} chunks, ${counts.assets} assets, ${megabytes(counts.bytes)}) ` +
        `to ${file}`,
    )
  } finally {
    store.close()
  }
}

/**
 * The one session a page or video export is about, with its events as recorded and its
 * cached assets inlined. Says on stderr how many assets did not fit the page's budget.
 */
function readOneSession(id: string, flag: string, data: string | undefined) {
  if (!/^\S+$/.test(id)) throw new UsageError(`${flag} exports one session: give its id`)
  const found = withStore(data, (store) => {
    const detail = store.getDetail(id)
    return { detail, ...inlineAssets(store, detail ? store.getEvents(id) : []) }
  })
  if (!found.detail) throw new UsageError(`no session with id ${id}`)
  if (found.skipped > 0) {
    process.stderr.write(
      `Left out ${found.skipped} cached asset${found.skipped === 1 ? '' : 's'}: ` +
        `with ${found.skipped === 1 ? 'it' : 'them'} the page would pass ` +
        `${megabytes(INLINE_BUDGET_BYTES)}.\n`,
    )
  }
  return { detail: found.detail, pages: found.pages, assets: found.inlined }
}

/** One session as a self-contained page: `export --html --out FILE.html ID`. */
async function exportHtml(id: string, file: string, options: ExportCliOptions): Promise<void> {
  const { detail, pages, assets } = readOneSession(id, '--html', options.data)

  const bytes = await writeHtmlReplay(detail, pages, file)
  out(
    `Exported session ${id} as a page (${megabytes(bytes)}, ${assets} assets inlined) ` +
      `to ${file}`,
  )
}

/** One session as a video: `export --video --out FILE.webm ID [--speed N]`. */
async function exportVideo(id: string, file: string, options: ExportCliOptions): Promise<void> {
  const { detail, pages } = readOneSession(id, '--video', options.data)

  const progress = progressPrinter()
  try {
    // Loaded only here: Playwright and the muxer cost every other command its start-up.
    const { writeVideoReplay } = await import('../bundle/writeVideoReplay')
    const video = await writeVideoReplay(detail, pages, file, {
      speed: options.speed,
      onProgress: (frame, frames) =>
        progress(`Rendering frame ${frame}/${frames} (${Math.floor((100 * frame) / frames)}%)`),
    })
    if (process.stderr.isTTY) process.stderr.write('\r\u001b[K')
    out(
      `Exported session ${id} as a ${(video.durationMs / 1000).toFixed(1)} s video ` +
        `(${video.frames} frames) to ${file}`,
    )
  } catch (error) {
    if (error instanceof ChromiumMissingError) throw new UsageError(error.message)
    throw error
  }
}

/** The writer lock; while Replaydesk runs, its own window imports instead. */
function acquireImportLock(dataDir: string) {
  try {
    return acquireWriterLock(dataDir)
  } catch (error) {
    if (!(error instanceof WriterLockError)) throw error
    throw new UsageError(
      `Replaydesk is running on ${dataDir}: import from its window (Import…, or drop the ` +
        'files on it), or stop it and import again',
    )
  }
}

async function importBundles(files: string[], options: { data?: string }): Promise<void> {
  const dataDir = resolveDataDir(options.data, 'write')
  const lock = acquireImportLock(dataDir)
  const store = Store.open(dataDir)
  try {
    for (const file of files) {
      const progress = progressPrinter()
      try {
        const result = await importBundle(store, resolve(file), {
          stagingParent: dataDir,
          onProgress: (read, total) =>
            progress(`Importing ${file}: ${Math.floor((100 * read) / total)}%`),
        })
        if (process.stderr.isTTY) process.stderr.write('\r\u001b[K')
        out(
          `${file}: ${result.sessions} session${result.sessions === 1 ? '' : 's'} ` +
            `(${result.added} new), ${result.chunks} chunks, ${result.assets ?? 0} assets`,
        )
      } catch (error) {
        if (!(error instanceof BundleError)) throw error
        process.stderr.write(`replaydesk: ${file}: ${error.message}; nothing imported\n`)
        process.exitCode = 1
      }
    }
  } finally {
    store.close()
    lock.release()
  }
}

export function buildProgram(): Command {
  const program = new Command('replaydesk')
    .description('Self-hosted session replay: collect, search and replay recorded sessions.')
    .showHelpAfterError()

  const dataOption = ['--data <dir>', 'data directory (default: $REPLAYDESK_DATA or the app’s)']

  program
    .command('serve')
    .description('run the collector and the UI on 127.0.0.1')
    .option('--port <n>', `port to listen on; 0 picks a free one`, parsePort, DEFAULT_PORT)
    .option(dataOption[0]!, dataOption[1])
    .option('--bundle <file>', 'show the sessions of a bundle, read-only, instead of the data')
    .option('--keep-days <n>', 'delete sessions that ended more than N days ago', parsePositive)
    .option('--max-disk-mb <n>', 'delete the oldest sessions beyond N MB of data', parsePositive)
    .option('--no-fetch-assets', 'do not fetch the images, fonts and CSS recordings use')
    .action(serve)

  program
    .command('search')
    .description('list matching sessions, newest first (all of them without a query)')
    .argument('[query...]', 'a query, e.g. email:john@example.com tag:"viewed checkout"')
    .option(dataOption[0]!, dataOption[1])
    .option('--json', 'print a JSON array of session summaries')
    .option(
      '--sort <order>',
      'newest, oldest, longest, pages or relevance (exact hits of bare words first)',
      parseSort,
      'newest' as SortOrder,
    )
    .option('--limit <n>', 'print at most N sessions', parseLimit)
    // A negated term (`-plan:free`) looks like an option; let it through as query text.
    .allowUnknownOption()
    .action((words: string[], options: SearchFlags) => search(queryOf(words), options))

  program
    .command('show')
    .description('one session: its summary and its pages in order')
    .argument('<id>', 'session id')
    .option(dataOption[0]!, dataOption[1])
    .option('--json', 'print JSON')
    .action(show)

  program
    .command('events')
    .description("print a session's rrweb events as a JSON array, page by page")
    .argument('<id>', 'session id')
    .option(dataOption[0]!, dataOption[1])
    .action(events)

  program
    .command('export')
    .description('write matching sessions (all of them without a query) to one bundle file')
    .argument('[query...]', 'a query, as for search')
    .requiredOption('--out <file>', 'the bundle to write, e.g. sessions.replaydesk')
    .option('--force', 'replace the file if it exists')
    .option('--html', 'write one session (give its id) as a self-contained HTML page')
    .option('--video', 'render one session (give its id) as a WebM video')
    .option('--speed <n>', 'replay speed of the video', parseSpeed, 1)
    .option(dataOption[0]!, dataOption[1])
    .allowUnknownOption()
    .action((words: string[], options: ExportCliOptions) => exportSessions(queryOf(words), options))

  program
    .command('import')
    .description('merge bundles into the store; importing a bundle twice adds nothing')
    .argument('<files...>', 'bundle files written by replaydesk export')
    .option(dataOption[0]!, dataOption[1])
    .action(importBundles)

  program
    .command('delete')
    .description('delete every session a query matches, with its events, tags and assets')
    .argument('<query...>', 'a query, as for search; quote it for the shell')
    .option(dataOption[0]!, dataOption[1])
    .option('--yes', 'delete without asking')
    .allowUnknownOption()
    .action((words: string[], options: { data?: string; yes?: boolean }) =>
      deleteMatching(queryOf(words), options),
    )

  program
    .command('pin')
    .description('keep a session whatever the retention settings say')
    .argument('<id>', 'session id')
    .option(dataOption[0]!, dataOption[1])
    .action((id: string, options: { data?: string }) => setPinned(id, true, options))

  program
    .command('unpin')
    .description('let retention delete a pinned session again')
    .argument('<id>', 'session id')
    .option(dataOption[0]!, dataOption[1])
    .action((id: string, options: { data?: string }) => setPinned(id, false, options))

  program
    .command('stats')
    .description('sessions, events, cached assets and bytes on disk')
    .option(dataOption[0]!, dataOption[1])
    .option('--json', 'print JSON')
    .action(stats)

  return program
}

/** The words of a query; a word that looks like a long option is a typo, not a query term. */
function queryOf(words: string[]): string {
  const typo = words.find((w) => w.startsWith('--'))
  if (typo) throw new UsageError(`unknown option ${typo} (see --help)`)
  return words.join(' ')
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv)
  } catch (error) {
    const known =
      error instanceof UsageError ||
      error instanceof WriterLockError ||
      error instanceof RetentionSettingError ||
      error instanceof DataDirError ||
      error instanceof QuerySyntaxError
    process.stderr.write(`replaydesk: ${known ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}

void main(process.argv)
