import { randomBytes } from 'node:crypto'
import { Collector } from '../collector/Collector'
import { SessionIndex } from '../index/SessionIndex'
import type { Logger } from '../logger'
import { builtRendererDir, builtSnippetFile } from '../paths'
import { startServer, type RunningServer } from '../server/startServer'
import { Store, type OpenStoreOptions } from '../store/Store'
import { ReplaydeskService } from './ReplaydeskService'

export interface BackendOptions {
  dataDir: string
  port: number
  logger: Logger
  /** Serve the UI and its API over HTTP (headless mode). The desktop window uses IPC. */
  serveUi: boolean
  store?: OpenStoreOptions
  /** The data directory holds an opened bundle: show it, record nothing (`serve --bundle`). */
  bundle?: string
  /** The player document's address when the shell serves it itself (the desktop app). */
  playerUrl?: string
}

export interface Backend {
  service: ReplaydeskService
  server: RunningServer
  stop(): Promise<void>
}

/** Opens the store, builds the index and starts the collector: what both shells run. */
export async function startBackend(options: BackendOptions): Promise<Backend> {
  const store = Store.open(options.dataDir, options.store)
  const index = new SessionIndex()
  // TODO(#5): build the index without blocking start-up, and show progress.
  for (const summary of store.listSummaries()) index.upsert(summary)
  options.logger.info({ sessions: index.size }, 'index built')

  const readOnly = options.bundle !== undefined
  const collector = new Collector({ store, index, snippetFile: builtSnippetFile(), readOnly })
  let collectorUrl = ''
  let playerUrl = options.playerUrl ?? ''
  const service = new ReplaydeskService(
    store,
    index,
    () => collectorUrl,
    () => playerUrl,
    { bundle: options.bundle ?? null, readOnly },
  )
  const server = await startServer({
    port: options.port,
    collector,
    logger: options.logger.child({ name: 'server' }),
    ui: options.serveUi
      ? {
          dir: builtRendererDir(),
          token: randomBytes(24).toString('base64url'),
          api: service,
        }
      : undefined,
  }).catch((error: unknown) => {
    store.close()
    throw error
  })
  collectorUrl = server.collectorUrl
  playerUrl = server.playerUrl ?? playerUrl

  return {
    service,
    server,
    async stop() {
      await server.close()
      store.close()
    },
  }
}
