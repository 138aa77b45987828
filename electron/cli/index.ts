import { Command, InvalidArgumentError } from 'commander'
import { SORT_ORDERS, type SessionSummary, type SortOrder } from '../../shared/api'
import { formatDuration } from '../../shared/format'
import { QuerySyntaxError } from '../../shared/query'
import { formatTagValue } from '../../shared/tags'
import { buildIndex } from '../index/buildIndex'
import { SessionIndex } from '../index/SessionIndex'
import { createLogger } from '../logger'
import { DataDirError, resolveDataDir } from '../paths'
import { DEFAULT_PORT } from '../server/startServer'
import { startBackend } from '../service/startBackend'
import { Store } from '../store/Store'

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

async function serve(options: { port: number; data?: string }): Promise<void> {
  const dataDir = resolveDataDir(options.data, 'write')
  const logger = createLogger(dataDir)
  const backend = await startBackend({ dataDir, port: options.port, logger, serveUi: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        throw new UsageError(`port ${options.port} is in use: pick another with --port`)
      }
      throw error
    },
  )

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

/** Runs a read-only command against the store, closing it whatever happens. */
function withStore<T>(data: string | undefined, read: (store: Store) => T): T {
  const store = Store.open(resolveDataDir(data, 'read'))
  try {
    return read(store)
  } finally {
    store.close()
  }
}

interface SearchFlags {
  data?: string
  json?: boolean
  sort: SortOrder
  limit?: number
}

async function search(query: string, options: SearchFlags): Promise<void> {
  const store = Store.open(resolveDataDir(options.data, 'read'))
  let sessions: SessionSummary[]
  try {
    const index = new SessionIndex()
    await buildIndex(store, index).done
    sessions = index.search(query, options.sort)
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
    .action(async (words: string[], options: SearchFlags) => {
      const typo = words.find((w) => w.startsWith('--'))
      if (typo) throw new UsageError(`unknown option ${typo} (see replaydesk search --help)`)
      await search(words.join(' '), options)
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

  return program
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv)
  } catch (error) {
    const known =
      error instanceof UsageError ||
      error instanceof DataDirError ||
      error instanceof QuerySyntaxError
    process.stderr.write(`replaydesk: ${known ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}

void main(process.argv)
