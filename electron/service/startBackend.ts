import { randomBytes } from 'node:crypto'
import { AssetFetcher, type AssetLimits } from '../assets/AssetFetcher'
import { Collector } from '../collector/Collector'
import { buildIndex } from '../index/buildIndex'
import { SessionIndex } from '../index/SessionIndex'
import type { Logger } from '../logger'
import { basename } from 'node:path'
import { openBundle } from '../bundle/openBundle'
import { appVersion, builtRendererDir, builtSnippetFile } from '../paths'
import { scheduleRetention, type RetentionSettings } from '../retention/applyRetention'
import { startServer, type RunningServer } from '../server/startServer'
import { acquireWriterLock } from '../store/acquireWriterLock'
import { Store, type OpenStoreOptions } from '../store/Store'
import { ReplaydeskService } from './ReplaydeskService'
import { Transfers } from './Transfers'

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
  transfers: Transfers
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
  const transfers = new Transfers({
    dataDir: options.dataDir,
    store,
    index,
    readOnly,
    appVersion: appVersion(),
    logger: logger.child({ name: 'transfers' }),
    onImported: () => assets?.resume(),
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
    transfers,
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
          transfers: {
            transfers,
            openBundle: async (file, name) => {
              const view = await startBundleBackend(file, name, { ...options, port: 0 })
              return { uiUrl: view.server.uiUrl!, stop: view.stop }
            },
          },
        }
      : undefined,
  }).catch(async (error: unknown) => {
    await transfers.stop()
    await build.cancel()
    store.close()
    lock.release()
    throw error
  })
  collectorUrl = server.collectorUrl
  playerUrl = server.playerUrl ?? playerUrl

  assets?.resume()
  // An opened bundle is shown as it is: retention never trims it.
  const retention = scheduleRetention(
    store,
    readOnly ? {} : (options.retention ?? {}),
    index,
    logger.child({ name: 'retention' }),
  )

  return {
    service,
    server,
    transfers,
    async stop() {
      retention.stop()
      await server.close()
      await transfers.stop()
      collector.stop()
      await assets?.stop()
      await build.cancel()
      store.close()
      lock.release()
    },
  }
}

/**
 * Opens a bundle read-only, in a scratch data directory of its own, and serves it as a
 * library: what File → Open does in the desktop app and in the headless UI. Stopping the
 * back end removes the scratch directory.
 */
export async function startBundleBackend(
  file: string,
  name: string = basename(file),
  options: Omit<BackendOptions, 'dataDir' | 'bundle'>,
): Promise<Backend> {
  const opened = await openBundle(file)
  try {
    const backend = await startBackend({ ...options, dataDir: opened.dataDir, bundle: name })
    return {
      ...backend,
      async stop() {
        await backend.stop()
        opened.remove()
      },
    }
  } catch (error) {
    opened.remove()
    throw error
  }
}
