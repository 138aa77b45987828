import { randomBytes } from 'node:crypto'
import { Collector } from '../collector/Collector'
import { buildIndex } from '../index/buildIndex'
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
}

export interface Backend {
  service: ReplaydeskService
  server: RunningServer
  stop(): Promise<void>
}

/** Opens the store, builds the index and starts the collector: what both shells run. */
export async function startBackend(options: BackendOptions): Promise<Backend> {
  const store = Store.open(options.dataDir, options.store)
  const index = new SessionIndex({
    titlesOf: (id) => store.pageTitles(id),
  })
  const build = buildIndex(store, index)
  const started = Date.now()
  void build.done.then(
    () => options.logger.info({ sessions: index.size, ms: Date.now() - started }, 'index built'),
    (error: unknown) => options.logger.error({ err: error }, 'index build failed'),
  )

  const collector = new Collector({ store, index, snippetFile: builtSnippetFile() })
  let collectorUrl = ''
  const service = new ReplaydeskService(store, index, () => collectorUrl, build)
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
  }).catch(async (error: unknown) => {
    await build.cancel()
    store.close()
    throw error
  })
  collectorUrl = server.collectorUrl

  return {
    service,
    server,
    async stop() {
      await server.close()
      await build.cancel()
      store.close()
    },
  }
}
