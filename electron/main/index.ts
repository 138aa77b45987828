import { app, BrowserWindow, ipcMain, session, shell } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { API_CHANNEL } from '../../shared/ipc'
import { createLogger } from '../logger'
import { appRoot, builtRendererDir, resolveDataDir } from '../paths'
import { retentionFromEnvironment } from '../retention/applyRetention'
import { DEFAULT_PORT } from '../server/startServer'
import { dispatchApiCall } from '../service/dispatchApiCall'
import { startBackend, type Backend } from '../service/startBackend'
import { LINK_SCHEME, parseDesktopLink } from '../../shared/links'
import { hardenSession, lockNavigation } from './hardenSession'
import { PLAYER_URL, registerPlayerScheme, servePlayerScheme } from './playerScheme'

/**
 * The desktop shell: one window over the same back end as `replaydesk serve`, reached over
 * IPC instead of HTTP. The window keeps Electron's secure defaults; nothing here relaxes them.
 */
async function run(): Promise<void> {
  // One app per user: a `replaydesk://` link opened later goes to the window already open.
  if (!app.requestSingleInstanceLock()) return app.quit()
  app.setAsDefaultProtocolClient(LINK_SCHEME)
  registerPlayerScheme()
  let pendingLink = process.argv.find((arg) => arg.startsWith(`${LINK_SCHEME}://`))
  app.on('open-url', (event, url) => {
    event.preventDefault()
    pendingLink = url
  })

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
    playerUrl: PLAYER_URL,
  })
  servePlayerScheme(builtRendererDir(), backend.server.collectorUrl)
  hardenSession(session.defaultSession, backend.server.collectorUrl)

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
  lockNavigation(window.webContents)

  // A link opens its session at its moment in the UI's own address form.
  const openLink = (url: string | undefined) => {
    const link = url ? parseDesktopLink(url) : null
    const hash = link ? `/session/${link.id}?t=${link.ms}` : undefined
    return window.loadFile(join(builtRendererDir(), 'index.html'), { hash })
  }
  app.removeAllListeners('open-url')
  app.on('open-url', (event, url) => {
    event.preventDefault()
    void openLink(url)
  })
  app.on('second-instance', (_event, argv) => {
    void openLink(argv.find((arg) => arg.startsWith(`${LINK_SCHEME}://`)))
    if (window.isMinimized()) window.restore()
    window.focus()
  })
  await openLink(pendingLink)

  app.on('window-all-closed', () => {
    void backend.stop().then(() => app.quit())
  })
}

run().catch((error: unknown) => {
  process.stderr.write(`replaydesk: ${error instanceof Error ? error.message : String(error)}\n`)
  app.exit(1)
})
