import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron'
import type { WebContents } from 'electron'
import { basename, join } from 'node:path'
import { ApiError, type ExportSelection } from '../../shared/api'
import { API_CHANNEL, FILE_CHANNELS, MENU_CHANNEL, type MenuCommand } from '../../shared/ipc'
import { BUNDLE_EXTENSION } from '../bundle/bundleFormat'
import { BundleError } from '../bundle/readBundle'
import { createLogger } from '../logger'
import { appRoot, builtRendererDir, resolveDataDir } from '../paths'
import { retentionFromEnvironment } from '../retention/applyRetention'
import { DEFAULT_PORT } from '../server/startServer'
import { dispatchApiCall, replyOf } from '../service/dispatchApiCall'
import { startBackend, startBundleBackend, type Backend } from '../service/startBackend'
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

  const backend: Backend = await startBackend({
    dataDir,
    port: Number(process.env.REPLAYDESK_PORT ?? DEFAULT_PORT),
    logger,
    serveUi: false,
    retention: retentionFromEnvironment(),
    playerUrl: PLAYER_URL,
  })
  // Each window talks to its own back end: the library's, or that of a bundle it opened.
  const backends = new Map<number, Backend>()
  const collectorUrls = () => [...new Set([...backends.values(), backend])].map(collectorOf)
  servePlayerScheme(builtRendererDir(), collectorUrls)
  hardenSession(session.defaultSession, collectorUrls)
  const onInternalError = (error: unknown) => logger.error({ err: error }, 'IPC call failed')
  const backendOf = (sender: WebContents) => backends.get(sender.id) ?? backend

  ipcMain.handle(API_CHANNEL, (event, method: string, args: unknown) =>
    dispatchApiCall(backendOf(event.sender).service, method, args, onInternalError),
  )
  ipcMain.handle(FILE_CHANNELS.export, async (event, selection: ExportSelection) => {
    const owner = BrowserWindow.fromWebContents(event.sender)!
    const chosen = await dialog.showSaveDialog(owner, {
      title: 'Export sessions',
      defaultPath: `sessions${BUNDLE_EXTENSION}`,
      filters: BUNDLE_FILTERS,
    })
    if (chosen.canceled || !chosen.filePath) return { result: null }
    const transfers = backendOf(event.sender).transfers
    return replyOf(() => transfers.startExport(selection, chosen.filePath), onInternalError)
  })
  ipcMain.handle(FILE_CHANNELS.import, async (event, given: string[] | null) => {
    const paths = given ?? (await chooseBundles(event.sender, true))
    if (paths.length === 0) return { result: null }
    const sources = paths.map((path) => ({ path: String(path), name: basename(String(path)) }))
    const transfers = backendOf(event.sender).transfers
    return replyOf(() => transfers.startImport(sources), onInternalError)
  })
  ipcMain.handle(FILE_CHANNELS.open, async (event) => {
    const [file] = await chooseBundles(event.sender, false)
    return replyOf(() => (file ? openBundleWindow(file) : null), onInternalError)
  })

  /** File → Open: the bundle's sessions, read-only, in a window and back end of their own. */
  async function openBundleWindow(file: string): Promise<null> {
    const viewer = await startBundleBackend(file, basename(file), {
      port: 0,
      logger: logger.child({ bundle: basename(file) }),
      serveUi: false,
      playerUrl: PLAYER_URL,
    }).catch((error: unknown) => {
      if (error instanceof BundleError) throw new ApiError('bad_query', error.message)
      throw error
    })
    const viewerWindow = createWindow(`${basename(file)} — Replaydesk`)
    const id = viewerWindow.webContents.id
    backends.set(id, viewer)
    viewerWindow.on('closed', () => {
      backends.delete(id)
      void viewer.stop()
    })
    await viewerWindow.loadFile(join(builtRendererDir(), 'index.html'))
    return null
  }

  async function chooseBundles(sender: WebContents, many: boolean): Promise<string[]> {
    const owner = BrowserWindow.fromWebContents(sender)!
    const chosen = await dialog.showOpenDialog(owner, {
      title: many ? 'Import bundles' : 'Open a bundle read-only',
      properties: many ? ['openFile', 'multiSelections'] : ['openFile'],
      filters: BUNDLE_FILTERS,
    })
    return chosen.canceled ? [] : chosen.filePaths
  }

  const window = createWindow('Replaydesk')
  backends.set(window.webContents.id, backend)
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
      {
        label: 'File',
        submenu: [
          {
            label: 'Open Bundle…',
            accelerator: 'CmdOrCtrl+O',
            // Through the window, so a refused bundle is reported where its Open… button is.
            click: () =>
              (BrowserWindow.getFocusedWindow() ?? window).webContents.send(
                MENU_CHANNEL,
                'open' satisfies MenuCommand,
              ),
          },
          {
            label: 'Import Bundles…',
            accelerator: 'CmdOrCtrl+I',
            click: () => window.webContents.send(MENU_CHANNEL, 'import' satisfies MenuCommand),
          },
          { type: 'separator' },
          { role: process.platform === 'darwin' ? 'close' : 'quit' },
        ],
      },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
    ]),
  )

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

/** A window over the UI, with Electron's secure defaults and navigation locked. */
function createWindow(title: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title,
    webPreferences: { preload: join(appRoot(), 'out', 'preload', 'index.cjs'), sandbox: true },
  })
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  lockNavigation(window.webContents)
  return window
}

const BUNDLE_FILTERS = [{ name: 'Replaydesk bundles', extensions: [BUNDLE_EXTENSION.slice(1)] }]

const collectorOf = (backend: Backend) => backend.server.collectorUrl

run().catch((error: unknown) => {
  process.stderr.write(`replaydesk: ${error instanceof Error ? error.message : String(error)}\n`)
  app.exit(1)
})
