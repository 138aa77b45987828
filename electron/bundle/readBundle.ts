import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { extract as extractTar, type Header } from 'tar-stream'
import { batchSchema } from '../../shared/batchSchema'
import { collectAssetUrls } from '../../shared/assetUrls'
import { LIMITS } from '../../shared/wire'
import { isAcceptedAssetType } from '../assets/AssetFetcher'
import { sessionRecordSchema, type SessionRecord } from '../store/bundleRows'
import { DATABASE_FILE, Store } from '../store/Store'
import {
  assetEntryName,
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  chunkEntryName,
  ENTRY_LIMITS,
  manifestSchema,
  parseEntryName,
  type EntryName,
  type Manifest,
} from './bundleFormat'

/** A bundle that cannot be imported; the message is the one line the user reads. */
export class BundleError extends Error {}

export interface ImportResult {
  sessions: number
  /** Sessions the store did not have before. */
  added: number
  chunks: number
  /** Every session the bundle held, new or merged. */
  sessionIds: string[]
  /** Cached assets the bundle carried (none from a version-1 bundle). */
  assets: number
}

export interface ImportOptions {
  /** Where the staging store goes: on the same disk as the data directory. */
  stagingParent: string
  onProgress?: (bytesRead: number, totalBytes: number) => void
}

/**
 * Imports a bundle into the store in one transaction, or not at all. Every entry is
 * checked as it streams in (name, size, type, JSON schema, gzip bounds, the batch inside
 * each chunk, the hash of each asset) and staged in a scratch store; the manifest, which
 * comes last, must then account for exactly the entries seen, byte for byte. Only then is
 * the staging store merged.
 */
export async function importBundle(
  store: Store,
  file: string,
  options: ImportOptions,
): Promise<ImportResult> {
  const totalBytes = (await stat(file).catch(() => null))?.size
  if (totalBytes === undefined) throw new BundleError('cannot read the file')

  const stagingDir = await mkdtemp(join(options.stagingParent, '.import-'))
  const staging = Store.open(stagingDir)
  const input = createReadStream(file)
  try {
    const reader = new BundleReader(staging)
    const extract = extractTar()
    input.pipe(extract)
    input.on('data', () => options.onProgress?.(input.bytesRead, totalBytes))

    try {
      for await (const entry of extract) {
        const name = reader.admit(entry.header)
        await reader.accept(name, entry.header.name, await readEntry(entry, limitFor(name)))
      }
    } catch (error) {
      if (error instanceof BundleError) throw error
      throw new BundleError(`the file is damaged or not a bundle (${describe(error)})`)
    }

    const counts = reader.finish()
    staging.close()
    const added = store.mergeStaged(join(stagingDir, DATABASE_FILE))
    return { ...counts, added }
  } finally {
    input.destroy()
    staging.close()
    await rm(stagingDir, { recursive: true, force: true })
  }
}

const limitFor = (name: EntryName): number => ENTRY_LIMITS[name.kind]

/** Reads one entry whole, refusing it before reading when it is over its kind's limit. */
async function readEntry(
  entry: AsyncIterable<unknown> & { header: Header },
  limit: number,
): Promise<Buffer> {
  const declared = entry.header.size ?? 0
  if (declared > limit) {
    throw new BundleError(`entry ${quote(entry.header.name)} is larger than ${limit} bytes`)
  }
  const parts: Buffer[] = []
  for await (const part of entry) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

/** The checks and staging of one import, entry by entry. */
class BundleReader {
  private readonly seen = new Map<string, { size: number; sha256: string }>()
  private readonly expectedChunks = new Map<string, Set<string>>()
  private readonly records = new Map<string, SessionRecord>()
  /** Asset URL → the hash of its content, as the sessions list them. */
  private readonly assetHashes = new Map<string, string>()
  /** Hash → content type, for every asset a session has listed so far. */
  private readonly assetTypes = new Map<string, string>()
  private readonly assetsArrived = new Set<string>()
  private manifest: Manifest | null = null
  private chunks = 0

  constructor(private readonly staging: Store) {}

  /** Decides from its header alone whether an entry may be read at all. */
  admit(header: Header): EntryName {
    const name = header.name
    const parsed = parseEntryName(name)
    if (header.type !== 'file' || parsed === null) {
      throw new BundleError(`unexpected entry ${quote(name)}: not part of a Replaydesk bundle`)
    }
    if (this.manifest) throw new BundleError(`entry ${quote(name)} comes after the manifest`)
    if (this.seen.has(name)) throw new BundleError(`entry ${quote(name)} appears twice`)
    return parsed
  }

  async accept(parsed: EntryName, name: string, body: Buffer): Promise<void> {
    const hash = sha256(body)
    this.seen.set(name, { size: body.length, sha256: hash })

    if (parsed.kind === 'manifest') this.manifest = parseManifest(body)
    else if (parsed.kind === 'session') this.stageSession(parsed.sessionId, body)
    else if (parsed.kind === 'asset') this.stageAsset(parsed.hash, hash, body)
    else await this.stageChunk(parsed, body)
  }

  private stageSession(sessionId: string, body: Buffer): void {
    const result = sessionRecordSchema.safeParse(parseJson(body, `session ${sessionId}`))
    if (!result.success || result.data.session.id !== sessionId) {
      throw new BundleError(`session ${sessionId} is not in the expected form`)
    }
    const record: SessionRecord = result.data
    this.staging.stageSessionRecord(record)
    this.expectedChunks.set(
      sessionId,
      new Set(record.chunks.map((c) => chunkEntryName(sessionId, c.tab_id, c.page_id, c.seq))),
    )
    this.records.set(sessionId, record)
    this.listAssets(sessionId, record.assets ?? [])
  }

  /**
   * Notes the assets a session uses: all are staged pending, and each cached one is
   * expected as an entry of its own, here or after an earlier session that uses it.
   */
  private listAssets(sessionId: string, assets: NonNullable<SessionRecord['assets']>): void {
    for (const { url, hash, type } of assets) {
      if (hash === null || type === null) continue
      if (!isAcceptedAssetType(type)) {
        throw new BundleError(`session ${sessionId} lists an asset of a type replays never load`)
      }
      const known = this.assetHashes.get(url)
      const knownType = this.assetTypes.get(hash)
      if ((known !== undefined && known !== hash) || (knownType ?? type) !== type) {
        throw new BundleError(`session ${sessionId} lists an asset unlike an earlier session`)
      }
      this.assetHashes.set(url, hash)
      this.assetTypes.set(hash, type)
    }
    this.staging.addAssetUrls(
      sessionId,
      assets.map((a) => a.url),
    )
  }

  /** An asset's content: named by its own hash, and used by a session listed before it. */
  private stageAsset(named: string, actual: string, body: Buffer): void {
    const name = assetEntryName(named)
    if (actual !== named) {
      throw new BundleError(`asset ${quote(name)} does not hold the content its name says`)
    }
    const contentType = this.assetTypes.get(named)
    if (contentType === undefined) {
      throw new BundleError(`asset ${quote(name)} belongs to no session listed before it`)
    }
    this.staging.stageAssetBlob({ hash: named, contentType, body })
    this.assetsArrived.add(named)
  }

  private async stageChunk(
    entry: Extract<EntryName, { kind: 'chunk' }>,
    body: Buffer,
  ): Promise<void> {
    const name = chunkEntryName(entry.sessionId, entry.tab, entry.page, entry.seq)
    const record = this.records.get(entry.sessionId)
    if (!record || !this.expectedChunks.get(entry.sessionId)?.delete(name)) {
      throw new BundleError(`chunk ${quote(name)} belongs to no session listed before it`)
    }

    // A chunk is replayed later: hold it to the same rules as a batch sent to the collector.
    let inflated: Buffer
    try {
      // In this turn: a typical chunk inflates in well under a millisecond, less than the
      // thread pool's round trip, and the limit caps the worst case.
      inflated = gunzipSync(body, { maxOutputLength: LIMITS.maxInflatedBytes })
    } catch {
      throw new BundleError(`chunk ${quote(name)} is not valid gzip or inflates too far`)
    }
    const batch = batchSchema.safeParse(parseJson(inflated, `chunk ${name}`))
    if (
      !batch.success ||
      batch.data.sid !== entry.sessionId ||
      batch.data.tab !== entry.tab ||
      batch.data.page !== entry.page ||
      batch.data.seq !== entry.seq
    ) {
      throw new BundleError(`chunk ${quote(name)} does not hold the batch its name says`)
    }

    const meta = record.chunks.find(
      (c) => c.tab_id === entry.tab && c.page_id === entry.page && c.seq === entry.seq,
    )!
    this.staging.stageChunk(entry.sessionId, meta, body)
    this.staging.addAssetUrls(entry.sessionId, collectAssetUrls(batch.data.events))
    this.chunks++
  }

  /**
   * The manifest must vouch for exactly the entries seen, and nothing may be missing. Then
   * the staged asset URLs are pointed at their staged contents.
   */
  finish(): { sessions: number; chunks: number; assets: number; sessionIds: string[] } {
    const manifest = this.manifest
    if (!manifest) throw new BundleError('the bundle has no manifest: it is truncated or damaged')

    for (const [sessionId, missing] of this.expectedChunks) {
      if (missing.size > 0) {
        throw new BundleError(`session ${sessionId} lacks ${missing.size} of its chunks`)
      }
    }
    const missingAssets = this.assetTypes.size - this.assetsArrived.size
    if (missingAssets > 0) {
      throw new BundleError(`the bundle lacks ${missingAssets} of the cached assets it lists`)
    }

    const listed = manifest.entries
    if (listed.length !== this.seen.size - 1) {
      throw new BundleError('the manifest does not list the entries the bundle holds')
    }
    for (const entry of listed) {
      const actual = this.seen.get(entry.name)
      if (!actual || actual.size !== entry.size || actual.sha256 !== entry.sha256) {
        throw new BundleError(`entry ${quote(entry.name)} does not match the manifest`)
      }
    }

    const sessions = this.records.size
    const assets = this.assetsArrived.size
    if (
      manifest.counts.sessions !== sessions ||
      manifest.counts.chunks !== this.chunks ||
      (manifest.counts.assets ?? 0) !== assets
    ) {
      throw new BundleError('the manifest’s counts do not match the bundle')
    }

    this.staging.stageCachedUrls(this.assetHashes)
    const sessionIds = [...this.records.keys()]
    return { sessions, chunks: this.chunks, assets, sessionIds }
  }
}

function parseManifest(body: Buffer): Manifest {
  const raw = parseJson(body, 'the manifest') as { format?: unknown; formatVersion?: unknown }
  if (raw?.format !== BUNDLE_FORMAT) throw new BundleError('this is not a Replaydesk bundle')
  if (typeof raw.formatVersion === 'number' && raw.formatVersion > BUNDLE_VERSION) {
    throw new BundleError(
      `this bundle was written by a newer Replaydesk (format ${raw.formatVersion}); ` +
        'upgrade Replaydesk to open it',
    )
  }
  const manifest = manifestSchema.safeParse(raw)
  if (!manifest.success) throw new BundleError('the manifest is not in the expected form')
  return manifest.data
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new BundleError(`${what} is not valid JSON`)
  }
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex')
}

/** An entry name as it may be shown: quoted, control characters escaped, not too long. */
function quote(name: string): string {
  return JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name)
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
