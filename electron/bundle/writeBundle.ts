import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { pack as packTar } from 'tar-stream'
import type { Store } from '../store/Store'
import {
  assetEntryName,
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  chunkEntryName,
  MANIFEST_ENTRY,
  sessionEntryName,
  type Manifest,
} from './bundleFormat'

export interface ExportProgress {
  sessions: number
  totalSessions: number
  bytes: number
}

export interface ExportOptions {
  appVersion: string
  /** The query that chose the sessions, recorded in the manifest. */
  query: string
  onProgress?: (progress: ExportProgress) => void
}

/**
 * Writes the sessions to a bundle file. Entries stream out one at a time, each read from
 * the store when its turn comes, so memory stays flat however large the bundle. A cached
 * asset follows the first session that uses it and is written once, however many use it.
 * The file appears under its name only once complete: a failed export leaves nothing
 * half-written.
 */
export async function writeBundle(
  store: Store,
  sessionIds: string[],
  file: string,
  options: ExportOptions,
): Promise<Required<Manifest['counts']>> {
  const partial = `${file}.partial`
  const pack = packTar()
  const written = pipeline(pack, createWriteStream(partial))
  const createdAt = new Date()
  const entries: Manifest['entries'] = []
  const counts = { sessions: 0, chunks: 0, assets: 0, bytes: 0 }
  // Hashes only (64 characters each), never contents: memory stays flat.
  const assetsWritten = new Set<string>()

  const add = (name: string, body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      entries.push({ name, size: body.length, sha256: sha256(body) })
      counts.bytes += body.length
      pack.entry({ name, size: body.length, mtime: createdAt }, body, (error) =>
        error ? reject(error) : resolve(),
      )
    })

  try {
    // One read transaction: sessions still being recorded cannot change under the export.
    await store.readConsistently(async () => {
      for (const id of sessionIds) {
        const record = store.readSessionRecord(id)
        if (!record) continue
        await add(sessionEntryName(id), Buffer.from(JSON.stringify(record)))
        for (const chunk of record.chunks) {
          const body = store.readChunkBody(id, chunk)
          await add(chunkEntryName(id, chunk.tab_id, chunk.page_id, chunk.seq), body)
          counts.chunks++
        }
        for (const { hash } of record.assets ?? []) {
          if (hash === null || assetsWritten.has(hash)) continue
          // The record was read in this same transaction, so its contents are there.
          const asset = store.getAsset(hash)
          if (!asset) throw new Error(`cached asset ${hash} vanished during the export`)
          await add(assetEntryName(hash), asset.body)
          assetsWritten.add(hash)
          counts.assets++
        }
        counts.sessions++
        options.onProgress?.({
          sessions: counts.sessions,
          totalSessions: sessionIds.length,
          bytes: counts.bytes,
        })
      }
    })

    const manifest: Manifest = {
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_VERSION,
      app: { name: 'replaydesk', version: options.appVersion },
      createdAt: createdAt.toISOString(),
      query: options.query,
      counts,
      entries,
    }
    await add(MANIFEST_ENTRY, Buffer.from(JSON.stringify(manifest)))
    pack.finalize()
    await written
    await rename(partial, file)
    return counts
  } catch (error) {
    pack.destroy()
    await written.catch(() => undefined)
    await rm(partial, { force: true })
    throw error
  }
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex')
}
