import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { appendFile, rename, rm, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pack as packTar, type Pack } from 'tar-stream'
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
  const entries = new EntryList(`${partial}.entries`)
  const counts = { sessions: 0, chunks: 0, assets: 0, bytes: 0 }
  // Hashes only (64 characters each), never contents: memory stays flat.
  const assetsWritten = new Set<string>()

  const add = async (name: string, body: Buffer) => {
    await entries.push({ name, size: body.length, sha256: sha256(body) })
    counts.bytes += body.length
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name, size: body.length, mtime: createdAt }, body, (error) =>
        error ? reject(error) : resolve(),
      )
    })
  }

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

    const head: Omit<Manifest, 'entries'> = {
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_VERSION,
      app: { name: 'replaydesk', version: options.appVersion },
      createdAt: createdAt.toISOString(),
      query: options.query,
      counts,
    }
    await entries.writeManifest(pack, head, createdAt)
    pack.finalize()
    await written
    await rename(partial, file)
    return counts
  } catch (error) {
    pack.destroy()
    await written.catch(() => undefined)
    await rm(partial, { force: true })
    throw error
  } finally {
    await entries.remove()
  }
}

/**
 * The manifest's list of entries, kept in a file beside the bundle as it grows: a bundle
 * of a million chunks costs its list no memory. Written out last as the manifest's tail.
 */
class EntryList {
  private pending: string[] = []
  private pendingBytes = 0
  private count = 0

  constructor(private readonly file: string) {}

  async push(entry: Manifest['entries'][number]): Promise<void> {
    const json = `${this.count++ === 0 ? '' : ','}${JSON.stringify(entry)}`
    this.pending.push(json)
    this.pendingBytes += json.length
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush()
  }

  /** Streams `manifest.json` into the tar: the head's fields, then the list from disk. */
  async writeManifest(pack: Pack, head: Omit<Manifest, 'entries'>, mtime: Date): Promise<void> {
    await this.flush()
    const whole = JSON.stringify({ ...head, entries: [] })
    const open = Buffer.from(whole.slice(0, -2)) // up to and including `"entries":[`
    const close = Buffer.from(whole.slice(-2))
    const listed = this.count === 0 ? 0 : (await stat(this.file)).size
    const size = open.length + listed + close.length

    const body = Readable.from(
      (async function* (file: string) {
        yield open
        if (listed > 0) yield* createReadStream(file)
        yield close
      })(this.file),
    )
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name: MANIFEST_ENTRY, size, mtime }, (error) =>
        error ? reject(error) : resolve(),
      )
      pipeline(body, entry).catch(reject)
    })
  }

  remove(): Promise<void> {
    return rm(this.file, { force: true })
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return
    await appendFile(this.file, this.pending.join(''))
    this.pending = []
    this.pendingBytes = 0
  }
}

/** How much of the list is gathered in memory before it is appended to its file. */
const FLUSH_BYTES = 1024 * 1024

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex')
}
