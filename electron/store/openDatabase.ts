import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'

/**
 * Opens a SQLite file with the addon this runtime can load. better-sqlite3 built for Node
 * cannot load in Electron, so `npm start` builds a copy for Electron's ABI and names it in
 * REPLAYDESK_ELECTRON_SQLITE; every connection the desktop app opens (the library, bundles
 * being imported or opened, the writer lock) uses it. An explicit `nativeBinding` wins.
 */
export function openDatabase(file: string, options: Database.Options = {}): Database.Database {
  return new Database(file, { nativeBinding: runtimeBinding(), ...withoutUndefined(options) })
}

function runtimeBinding(): string | undefined {
  const built = process.env.REPLAYDESK_ELECTRON_SQLITE
  return process.versions.electron && built && existsSync(built) ? built : undefined
}

function withoutUndefined(options: Database.Options): Database.Options {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
}
