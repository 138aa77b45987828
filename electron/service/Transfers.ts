import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import {
  ApiError,
  type ExportSelection,
  type ImportedFile,
  type TransferJob,
} from '../../shared/api'
import { plural } from '../../shared/format'
import { BundleError, importBundle } from '../bundle/readBundle'
import { BUNDLE_EXTENSION } from '../bundle/bundleFormat'
import { writeBundle } from '../bundle/writeBundle'
import type { SessionIndex } from '../index/SessionIndex'
import type { Logger } from '../logger'
import { Store } from '../store/Store'

/** A bundle file to import: where it is on disk and the name the user knows it by. */
export interface ImportSource {
  path: string
  name: string
  /** A copy uploaded for this import, removed once read. */
  temporary?: boolean
}

export interface TransfersOptions {
  dataDir: string
  /** The back end's own connection: imports merge through it, as the collector writes. */
  store: Store
  index: SessionIndex
  readOnly: boolean
  appVersion: string
  logger: Logger
  /** Called after an import merged sessions, e.g. to fetch the assets they list. */
  onImported?: () => void
}

/** How long a finished export waits for its download before its file is removed. */
const DOWNLOAD_KEEP_MS = 60 * 60 * 1000

/**
 * Exports and imports started from the UI. Each runs as a job the UI polls for progress;
 * imports go one at a time through the back end's own store, so sessions being recorded
 * meanwhile are not disturbed, and the index learns each imported session at once.
 */
export class Transfers {
  private readonly jobs = new Map<string, TransferJob>()
  private readonly downloads = new Map<string, string>()
  private importQueue: Promise<void> = Promise.resolve()
  private readonly exports = new Set<Promise<void>>()
  /** Uploads and finished exports waiting for download: removed when the back end stops. */
  readonly scratchDir: string

  constructor(private readonly options: TransfersOptions) {
    this.scratchDir = join(options.dataDir, '.transfers')
    rmSync(this.scratchDir, { recursive: true, force: true })
    mkdirSync(this.scratchDir, { recursive: true })
  }

  get(id: string): TransferJob {
    const job = this.jobs.get(String(id))
    if (!job) throw new ApiError('not_found', `no export or import with id ${id}`)
    return structuredClone(job)
  }

  /** A path in the scratch directory for an upload or a download. */
  scratchFile(suffix: string): string {
    return join(this.scratchDir, `${randomBytes(8).toString('hex')}${suffix}`)
  }

  /**
   * Writes the chosen sessions to a bundle: to `file` (the desktop app's save dialog), or
   * without one to a scratch file offered for download at `downloadUrl(id)`.
   */
  startExport(
    selection: ExportSelection,
    file?: string,
    downloadUrl?: (id: string) => string,
  ): TransferJob {
    const ids = this.resolveSelection(selection)
    if (ids.length === 0) throw new ApiError('bad_query', 'no sessions to export')

    const job = this.createJob('export', ids.length, `Exporting ${plural(ids.length, 'session')}`)
    const target = file ?? this.scratchFile(BUNDLE_EXTENSION)
    const name = file ? basename(file) : exportName()

    const query = 'query' in selection ? String(selection.query) : ''
    const exporting = this.runExport(job, ids, target, query).then(
      (counts) => {
        job.exported = { name, ...counts }
        job.state = 'done'
        job.message = `Exported ${plural(counts.sessions, 'session')} to ${name}`
        if (!file) {
          this.downloads.set(job.id, target)
          job.downloadUrl = downloadUrl?.(job.id) ?? null
          setTimeout(() => this.forgetDownload(job.id), DOWNLOAD_KEEP_MS).unref()
        }
      },
      (error: unknown) => this.fail(job, 'export', error),
    )
    this.exports.add(exporting)
    void exporting.finally(() => this.exports.delete(exporting))
    return structuredClone(job)
  }

  /** The finished export a download asks for, with the name to save it under. */
  download(id: string): { path: string; name: string } | null {
    const path = this.downloads.get(id)
    const name = this.jobs.get(id)?.exported?.name
    return path && name ? { path, name } : null
  }

  /** Imports bundle files one after another; a refused file leaves the others be. */
  startImport(sources: ImportSource[]): TransferJob {
    if (this.options.readOnly) {
      this.removeTemporary(sources)
      throw new ApiError('bad_query', 'a bundle opened read-only cannot import others')
    }
    if (sources.length === 0) throw new ApiError('bad_query', 'choose bundle files to import')

    const job = this.createJob('import', 0, `Importing ${plural(sources.length, 'file')}`)
    const previous = this.importQueue
    this.importQueue = previous
      .then(() => this.runImport(job, sources))
      .catch((error: unknown) => this.fail(job, 'import', error))
      .finally(() => this.removeTemporary(sources))
    return structuredClone(job)
  }

  /** Waits for running work and removes every scratch file. */
  async stop(): Promise<void> {
    await Promise.all([this.importQueue, ...this.exports])
    rmSync(this.scratchDir, { recursive: true, force: true })
  }

  private resolveSelection(selection: ExportSelection): string[] {
    if (typeof selection !== 'object' || selection === null) {
      throw new ApiError('bad_query', 'export takes { ids } or { query }')
    }
    if ('ids' in selection && Array.isArray(selection.ids)) {
      return [...new Set(selection.ids.map(String))].filter((id) => this.index.has(id))
    }
    if ('query' in selection && typeof selection.query === 'string') {
      try {
        return this.index.search(selection.query).map((s) => s.id)
      } catch (error) {
        throw new ApiError('bad_query', error instanceof Error ? error.message : String(error))
      }
    }
    throw new ApiError('bad_query', 'export takes { ids } or { query }')
  }

  private get index(): SessionIndex {
    return this.options.index
  }

  private async runExport(job: TransferJob, ids: string[], file: string, query: string) {
    // A connection of its own: one read transaction spans the export while batches arrive.
    const reader = Store.open(this.options.dataDir, { readonly: true })
    try {
      return await writeBundle(reader, ids, file, {
        appVersion: this.options.appVersion,
        query,
        onProgress: (p) => {
          job.progress = { done: p.sessions, total: p.totalSessions }
          job.message = `Exporting ${p.sessions} of ${plural(p.totalSessions, 'session')}`
        },
      })
    } finally {
      reader.close()
    }
  }

  private async runImport(job: TransferJob, sources: ImportSource[]): Promise<void> {
    const sizes = await Promise.all(
      sources.map((s) =>
        stat(s.path).then(
          (st) => st.size,
          () => 0,
        ),
      ),
    )
    const total = sizes.reduce((sum, size) => sum + size, 0)
    job.progress = { done: 0, total }
    let before = 0

    for (const [i, source] of sources.entries()) {
      job.message = `Importing ${source.name}`
      job.imported.push(
        await this.importOne(source, (read) => {
          job.progress = { done: before + read, total }
        }),
      )
      before += sizes[i]!
      job.progress = { done: before, total }
    }

    const refused = job.imported.filter((f) => f.error !== null).length
    const added = job.imported.reduce((sum, f) => sum + f.added, 0)
    const sessions = job.imported.reduce((sum, f) => sum + f.sessions, 0)
    job.state = refused === sources.length ? 'failed' : 'done'
    job.message =
      `Imported ${plural(sessions, 'session')} (${added} new)` +
      (refused > 0 ? `; ${plural(refused, 'file')} refused` : '')
  }

  private async importOne(
    source: ImportSource,
    onRead: (bytes: number) => void,
  ): Promise<ImportedFile> {
    const { store, index, dataDir } = this.options
    try {
      const result = await importBundle(store, source.path, {
        stagingParent: dataDir,
        onProgress: onRead,
      })
      for (const id of result.sessionIds) {
        const summary = store.getSummary(id)
        if (summary) index.upsert(summary, store.pageTitles(id))
      }
      this.options.onImported?.()
      const { sessions, added, chunks, assets } = result
      return { name: source.name, sessions, added, chunks, assets, error: null }
    } catch (error) {
      if (!(error instanceof BundleError)) throw error
      const nothing = { sessions: 0, added: 0, chunks: 0, assets: 0 }
      return { name: source.name, ...nothing, error: error.message }
    }
  }

  private createJob(kind: TransferJob['kind'], total: number, message: string): TransferJob {
    const job: TransferJob = {
      id: randomBytes(9).toString('base64url'),
      kind,
      state: 'running',
      progress: { done: 0, total },
      message,
      exported: null,
      downloadUrl: null,
      imported: [],
    }
    this.jobs.set(job.id, job)
    return job
  }

  private fail(job: TransferJob, what: string, error: unknown): void {
    this.options.logger.error({ err: error, job: job.id }, `${what} failed`)
    job.state = 'failed'
    job.message = `The ${what} failed: ${error instanceof Error ? error.message : String(error)}`
  }

  private forgetDownload(id: string): void {
    const path = this.downloads.get(id)
    this.downloads.delete(id)
    if (path) rmSync(path, { force: true })
  }

  private removeTemporary(sources: ImportSource[]): void {
    for (const source of sources) if (source.temporary) rmSync(source.path, { force: true })
  }
}

/** The name an export is downloaded under: `replaydesk-2026-12-03-1405.replaydesk`. */
function exportName(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 16).replace('T', '-').replace(':', '')
  return `replaydesk-${stamp}${BUNDLE_EXTENSION}`
}
