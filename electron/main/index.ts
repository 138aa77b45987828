import { app, BrowserWindow, ipcMain, shell } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { API_CHANNEL } from '../../shared/ipc'
import { createLogger } from '../logger'
import { appRoot, builtRendererDir, resolveDataDir } from '../paths'
import { retentionFromEnvironment } from '../retention/applyRetention'
import { DEFAULT_PORT } from '../server/startServer'
import { dispatchApiCall } from '../service/dispatchApiCall'
import { startBackend, type Backend } from '../service/startBackend'

/**
 * The desktop shell: one window over the same back end as `replaydesk serve`, reached over
 * IPC instead of HTTP. The window keeps Electron's secure defaults; nothing here relaxes them.
 */
async function run(): Promise<void> {
  await app.whenReady()

  const dataDir = resolveDataDir(undefined, 'write')
  app.setPath('userData', dataDir)
  const logger = createLogger(dataDir)

  // better-sqlite3 built for Node cannot load in Electron; `npm start` builds a copy for
  // Electron's ABI beside the Node one and says where through this variable.
  const nativeBinding = process.env.REPLAYDESK_ELECTRON_SQLITE
  const backend: Backend = await startBackend({
    dataDir,
    port: Number(process.env.REPLAYDESK_PORT ?? DEFAULT_PORT),
    logger,
    serveUi: false,
    retention: retentionFromEnvironment(),
    store: nativeBinding && existsSync(nativeBinding) ? { nativeBinding } : {},
  })

  ipcMain.handle(API_CHANNEL, (_event, method: string, args: unknown) =>
    dispatchApiCall(backend.service, method, args, (error) =>
      logger.error({ err: error, method }, 'API call failed'),
    ),
  )

  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Replaydesk',
    webPreferences: { preload: join(appRoot(), 'out', 'preload', 'index.cjs'), sandbox: true },
  })
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  await window.loadFile(join(builtRendererDir(), 'index.html'))

  app.on('window-all-closed', () => {
    void backend.stop().then(() => app.quit())
  })
}

run().catch((error: unknown) => {
  process.stderr.write(`replaydesk: ${error instanceof Error ? error.message : String(error)}\n`)
  app.exit(1)
})
