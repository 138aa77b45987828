/**
 * The `.replaydesk` bundle: an uncompressed tar file (event chunks are gzip already, so
 * compressing again would only cost time). Entries, in this order:
 *
 *   sessions/<session id>.json                      one session's rows (bundleRows.ts)
 *   chunks/<session id>/<tab>/<page>/<seq>.gz       its event chunks, exactly as stored
 *   assets/<sha256>                                 a cached asset its rows name, not
 *                                                   written before (version 2 on)
 *   manifest.json                                   last: format, counts, every entry's hash
 *
 * The manifest comes last so export streams in one pass; import stages everything and
 * commits only once the manifest has vouched for every entry.
 */
import { z } from 'zod'
import { DEFAULT_ASSET_LIMITS } from '../assets/AssetFetcher'

export const BUNDLE_FORMAT = 'replaydesk-bundle'
/** 2 added the cached assets; a version-1 bundle (no assets) still imports. */
export const BUNDLE_VERSION = 2
export const BUNDLE_EXTENSION = '.replaydesk'
export const MANIFEST_ENTRY = 'manifest.json'

/** The largest entry of each kind a bundle may hold; larger ones mean a damaged bundle. */
export const ENTRY_LIMITS = {
  manifest: 256 * 1024 * 1024,
  session: 16 * 1024 * 1024,
  chunk: 8 * 1024 * 1024,
  // No asset the fetcher would have kept can be larger.
  asset: DEFAULT_ASSET_LIMITS.maxBytes,
} as const

const ID = '[A-Za-z0-9_-]{1,64}'
const SESSION_ENTRY = new RegExp(`^sessions/(${ID})\\.json$`)
const CHUNK_ENTRY = new RegExp(`^chunks/(${ID})/(${ID})/(${ID})/(\\d{1,7})\\.gz$`)
const ASSET_ENTRY = /^assets\/([0-9a-f]{64})$/

export type EntryName =
  | { kind: 'manifest' }
  | { kind: 'session'; sessionId: string }
  | { kind: 'chunk'; sessionId: string; tab: string; page: string; seq: number }
  | { kind: 'asset'; hash: string }

/** What an entry's name says it is; null for any name a bundle never holds. */
export function parseEntryName(name: string): EntryName | null {
  if (name === MANIFEST_ENTRY) return { kind: 'manifest' }
  const session = SESSION_ENTRY.exec(name)
  if (session) return { kind: 'session', sessionId: session[1]! }
  const chunk = CHUNK_ENTRY.exec(name)
  if (chunk) {
    return {
      kind: 'chunk',
      sessionId: chunk[1]!,
      tab: chunk[2]!,
      page: chunk[3]!,
      seq: Number(chunk[4]),
    }
  }
  const asset = ASSET_ENTRY.exec(name)
  if (asset) return { kind: 'asset', hash: asset[1]! }
  return null
}

export const sessionEntryName = (sessionId: string) => `sessions/${sessionId}.json`

export const chunkEntryName = (sessionId: string, tab: string, page: string, seq: number) =>
  `chunks/${sessionId}/${tab}/${page}/${seq}.gz`

/** A cached asset is named by the SHA-256 of its bytes, so each is written once. */
export const assetEntryName = (hash: string) => `assets/${hash}`

export const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.number().int().min(1),
  app: z.object({ name: z.string(), version: z.string() }),
  createdAt: z.string(),
  query: z.string(),
  counts: z.object({
    sessions: z.number().int().min(0),
    chunks: z.number().int().min(0),
    bytes: z.number().int().min(0),
    /** Asset entries; absent from version 1. */
    assets: z.number().int().min(0).optional(),
  }),
  entries: z.array(
    z.object({
      name: z.string(),
      size: z.number().int().min(0),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
})

export type Manifest = z.infer<typeof manifestSchema>
