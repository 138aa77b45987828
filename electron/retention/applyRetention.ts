import type { SessionIndex } from '../index/SessionIndex'
import type { Logger } from '../logger'
import type { Store } from '../store/Store'

/** How much `serve` keeps; unset limits keep everything. Pinned sessions are always kept. */
export interface RetentionSettings {
  /** Sessions that ended longer ago than this are deleted. */
  maxAgeDays?: number
  /** Oldest sessions are deleted until events and assets take at most this many bytes. */
  maxBytes?: number
}

/**
 * Settings from `REPLAYDESK_KEEP_DAYS` and `REPLAYDESK_MAX_DISK_MB`: how the desktop app is
 * told, and what `serve` uses when its flags are not given. A value that is not a positive
 * number is an error rather than "keep everything", so a typo cannot silently keep or drop.
 */
export function retentionFromEnvironment(env = process.env): RetentionSettings {
  const read = (name: string): number | undefined => {
    const text = env[name]
    if (text === undefined || text === '') return undefined
    const value = Number(text)
    if (!Number.isFinite(value) || value <= 0) {
      throw new RetentionSettingError(`${name} must be a number above 0, not ${text}`)
    }
    return value
  }
  const maxDiskMb = read('REPLAYDESK_MAX_DISK_MB')
  return {
    maxAgeDays: read('REPLAYDESK_KEEP_DAYS'),
    maxBytes: maxDiskMb === undefined ? undefined : maxDiskMb * 1024 * 1024,
  }
}

export class RetentionSettingError extends Error {}

/** How often `serve` applies the settings (and once at start). */
export const RETENTION_INTERVAL_MS = 10 * 60 * 1000

/** Deletes what the settings no longer keep, gives the space back, and says how much went. */
export function applyRetention(
  store: Store,
  settings: RetentionSettings,
  index?: SessionIndex,
  now = Date.now(),
): { sessions: number; assets: number } {
  const ids = store.sessionsToExpire({
    endedBefore:
      settings.maxAgeDays === undefined ? undefined : now - settings.maxAgeDays * 86_400_000,
    maxBytes: settings.maxBytes,
  })
  if (ids.length === 0) return { sessions: 0, assets: 0 }

  const removed = store.deleteSessions(ids)
  for (const id of ids) index?.remove(id)
  store.reclaimSpace()
  return removed
}

/** Applies retention now and then every interval until stopped. */
export function scheduleRetention(
  store: Store,
  settings: RetentionSettings,
  index: SessionIndex,
  logger: Logger,
  intervalMs = RETENTION_INTERVAL_MS,
): { stop(): void } {
  if (settings.maxAgeDays === undefined && settings.maxBytes === undefined) {
    return { stop: () => undefined }
  }
  const run = (): void => {
    try {
      const removed = applyRetention(store, settings, index)
      if (removed.sessions > 0) logger.info(removed, 'retention deleted sessions')
    } catch (error) {
      // A timer is a boundary: log, and try again next time.
      logger.error({ err: error }, 'retention failed')
    }
  }
  run()
  const timer = setInterval(run, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
