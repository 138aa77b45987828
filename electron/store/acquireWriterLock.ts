import { openDatabase } from './openDatabase'
import { join } from 'node:path'

export const LOCK_FILE = 'replaydesk.lock'

/** Another process already writes to the data directory; the message says what to do. */
export class WriterLockError extends Error {}

export interface WriterLock {
  release(): void
}

/**
 * Makes this process the data directory's only writer until `release` (or until it dies).
 * The lock is SQLite's own exclusive lock on a small file beside the store, so the operating
 * system drops it when the process ends, even by `kill -9`: no stale lock file to clean up.
 * Readers never touch this file, so they keep working beside the writer.
 */
export function acquireWriterLock(
  dataDir: string,
  options: { nativeBinding?: string } = {},
): WriterLock {
  const db = openDatabase(join(dataDir, LOCK_FILE), {
    nativeBinding: options.nativeBinding,
    timeout: 0,
  })
  try {
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
  } catch (error) {
    db.close()
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error
    throw new WriterLockError(
      `another Replaydesk (replaydesk serve or the desktop app) is already using ${dataDir}; ` +
        'stop it first, or choose another directory with --data',
    )
  }
  return { release: () => db.close() }
}
