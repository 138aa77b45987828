import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../store/Store'
import { importBundle } from './readBundle'

export interface OpenedBundle {
  /** A scratch data directory holding the bundle's sessions. */
  dataDir: string
  remove(): void
}

/**
 * Opens a bundle without importing it: its sessions go into a scratch data directory that
 * is removed afterwards, so the user's own store is never touched. Checks are the import's.
 */
export async function openBundle(file: string): Promise<OpenedBundle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'replaydesk-bundle-'))
  const remove = () => rmSync(dataDir, { recursive: true, force: true })

  const store = Store.open(dataDir)
  try {
    await importBundle(store, file, { stagingParent: dataDir })
  } catch (error) {
    store.close()
    remove()
    throw error
  }
  store.close()
  return { dataDir, remove }
}
