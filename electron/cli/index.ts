import { Command, InvalidArgumentError } from 'commander'
import { join } from 'node:path'
import { createInterface } from 'node:readline/promises'
import type { SessionSummary } from '../../shared/api'
import { formatDuration } from '../../shared/format'
import { QuerySyntaxError } from '../../shared/query'
import { formatTagValue } from '../../shared/tags'
import { SessionIndex } from '../index/SessionIndex'
import { createLogger } from '../logger'
import { DataDirError, resolveDataDir } from '../paths'
import { retentionFromEnvironment, RetentionSettingError } from '../retention/applyRetention'
import { DEFAULT_PORT } from '../server/startServer'
import { startBackend } from '../service/startBackend'
import { acquireWriterLock, WriterLockError } from '../store/acquireWriterLock'
import { DATABASE_FILE, Store } from '../store/Store'

/** A failure the user can fix: printed as one line, exit status 1. */
class UsageError extends Error {}

const out = (text: string): void => void process.stdout.write(`${text}\n`)

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
}

async function serve(options: ServeOptions): Promise<void> {
  const dataDir = resolveDataDir(options.data, 'write')
  const fromEnvironment = retentionFromEnvironment()
  const logger = createLogger(dataDir)
  const backend = await startBackend({
    dataDir,
    port: options.port,
    logger,
    serveUi: true,
    retention: {
      maxAgeDays: options.keepDays ?? fromEnvironment.maxAgeDays,
      maxBytes:
        options.maxDiskMb === undefined
          ? fromEnvironment.maxBytes
          : options.maxDiskMb * 1024 * 1024,
    },
    assets: options.fetchAssets ? {} : false,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      throw new UsageError(`port ${options.port} is in use: pick another with --port`)
    }
    throw error
  })

  out(`Collector: ${backend.server.collectorUrl}`)
  out(`Snippet:   ${backend.server.collectorUrl}/snippet.js`)
  out(`UI:        ${backend.server.uiUrl}`)
  out(`Data:      ${dataDir}`)
  out('Press Ctrl+C to stop.')
  logger.info({ url: backend.server.collectorUrl }, 'serving')

  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping')
    void backend.stop().then(() => {
      logger.flush()
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

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim())
  } finally {
    prompt.close()
  }
}

async function deleteMatching(query: string, options: { data?: string; yes?: boolean }) {
  await withWriter(options.data, async (store) => {
    const index = new SessionIndex()
    for (const summary of store.listSummaries()) index.upsert(summary)
    const sessions = index.search(query)
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

function search(query: string | undefined, options: { data?: string; json?: boolean }): void {
  const sessions = withStore(options.data, (store) => {
    const index = new SessionIndex()
    for (const summary of store.listSummaries()) index.upsert(summary)
    return index.search(query ?? '')
  })

  if (options.json) return out(JSON.stringify(sessions, null, 2))
  if (sessions.length === 0) return out('No sessions match.')
  for (const s of sessions) out(describeSession(s))
  out(`${sessions.length} session${sessions.length === 1 ? '' : 's'}`)
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
    // A negated term (`-plan:free`) looks like an option; let it through as query text.
    .allowUnknownOption()
    .action((words: string[], options: { data?: string; json?: boolean }) => {
      const typo = words.find((w) => w.startsWith('--'))
      if (typo) throw new UsageError(`unknown option ${typo} (see replaydesk search --help)`)
      search(words.join(' '), options)
    })

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
    .command('delete')
    .description('delete every session a query matches, with its events, tags and assets')
    .argument('<query...>', 'a query, as for search; quote it for the shell')
    .option(dataOption[0]!, dataOption[1])
    .option('--yes', 'delete without asking')
    .allowUnknownOption()
    .action((words: string[], options: { data?: string; yes?: boolean }) => {
      const typo = words.find((w) => w.startsWith('--'))
      if (typo) throw new UsageError(`unknown option ${typo} (see replaydesk delete --help)`)
      return deleteMatching(words.join(' '), options)
    })

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
