import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The name Electron derives `userData` from; the CLI computes the same directory. */
export const APP_NAME = 'Replaydesk'

/** Where the desktop app keeps its data, following each platform's convention. */
export function defaultDataDir(): string {
  if (process.platform === 'win32') {
    return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME)
  }
  if (process.platform === 'darwin') {
    return join(homedir(), 'Library', 'Application Support', APP_NAME)
  }
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME)
}

/** A data directory the user must fix; its message is the one line the CLI prints. */
export class DataDirError extends Error {}

/**
 * The data directory: `--data`, else `REPLAYDESK_DATA`, else the app's own. Only the
 * app's own directory is created when missing; one the user named must exist, so a typo
 * does not quietly start an empty store somewhere else.
 */
export function resolveDataDir(given: string | undefined, mode: 'read' | 'write'): string {
  const named = given ?? process.env.REPLAYDESK_DATA
  const dir = resolve(named ?? defaultDataDir())

  if (!existsSync(dir)) {
    if (named !== undefined) throw new DataDirError(`data directory ${dir} does not exist`)
    if (mode === 'read') {
      throw new DataDirError(`no data yet in ${dir}: run \`replaydesk serve\` to start collecting`)
    }
    mkdirSync(dir, { recursive: true })
  }

  if (!statSync(dir).isDirectory()) throw new DataDirError(`${dir} is not a directory`)
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK)
  } catch {
    throw new DataDirError(`data directory ${dir} is not readable and writable by this user`)
  }
  return dir
}

/** The installed package's root, found from this file whether it runs built or as source. */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && readFileSync(manifest, 'utf8').includes('"name": "replaydesk"')) {
      return dir
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the Replaydesk package root')
    dir = parent
  }
}

/** This Replaydesk's version, as its package.json gives it. */
export function appVersion(): string {
  const manifest = JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8'))
  return (manifest as { version: string }).version
}

export const builtSnippetFile = (): string => join(appRoot(), 'out', 'snippet', 'snippet.js')
export const builtRendererDir = (): string => join(appRoot(), 'out', 'renderer')
export const builtStandalonePlayer = (): string => join(appRoot(), 'out', 'standalone', 'player.js')
export const builtVideoEncoder = (): string => join(appRoot(), 'out', 'standalone', 'encoder.js')
