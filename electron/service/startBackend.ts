import { randomBytes } from 'node:crypto'
import { AssetFetcher, type AssetLimits } from '../assets/AssetFetcher'
import { Collector } from '../collector/Collector'
import { buildIndex } from '../index/buildIndex'
import { SessionIndex } from '../index/SessionIndex'
import type { Logger } from '../logger'
import { builtRendererDir, builtSnippetFile } from '../paths'
import { scheduleRetention, type RetentionSettings } from '../retention/applyRetention'
import { startServer, type RunningServer } from '../server/startServer'
import { acquireWriterLock } from '../store/acquireWriterLock'
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
  retention?: RetentionSettings
  /** Fetch the assets recordings reference (on unless false); limits override defaults. */
  assets?: false | Partial<AssetLimits>
}

export interface Backend {
  service: ReplaydeskService
  server: RunningServer
  stop(): Promise<void>
}

/**
 * Takes the data directory's writer lock, opens the store, builds the index and starts the
 * collector, the asset fetcher and retention: what both shells run.
 */
export async function startBackend(options: BackendOptions): Promise<Backend> {
  const { logger } = options
  const lock = acquireWriterLock(options.dataDir, options.store)
  const store = Store.open(options.dataDir, options.store)
  const index = new SessionIndex({
    titlesOf: (id) => store.pageTitles(id),
  })
  const build = buildIndex(store, index)
  const indexLogger = logger.child({ name: 'index' })
  const started = Date.now()
  void build.done.then(
    () => indexLogger.info({ sessions: index.size, ms: Date.now() - started }, 'index built'),
    (error: unknown) => indexLogger.error({ err: error }, 'index build failed'),
  )

  const readOnly = options.bundle !== undefined
  const assets =
    options.assets === false || readOnly
      ? undefined
      : new AssetFetcher(store, logger.child({ name: 'assets' }), options.assets)
  const collector = new Collector({
    store,
    index,
    snippetFile: builtSnippetFile(),
    assets,
    logger: logger.child({ name: 'collector' }),
    readOnly,
  })
  let collectorUrl = ''
  let playerUrl = options.playerUrl ?? ''
  const service = new ReplaydeskService(
    store,
    index,
    () => collectorUrl,
    () => playerUrl,
    { bundle: options.bundle ?? null, readOnly },
    build,
  )
  const server = await startServer({
    port: options.port,
    collector,
    logger: logger.child({ name: 'server' }),
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
    lock.release()
    throw error
  })
  collectorUrl = server.collectorUrl
  playerUrl = server.playerUrl ?? playerUrl

  assets?.resume()
  const retention = scheduleRetention(
    store,
    options.retention ?? {},
    index,
    logger.child({ name: 'retention' }),
  )

  return {
    service,
    server,
    async stop() {
      retention.stop()
      await server.close()
      collector.stop()
      await assets?.stop()
      await build.cancel()
      store.close()
      lock.release()
    },
  }
}
