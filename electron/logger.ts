import { join } from 'node:path'
import pino from 'pino'

export type Logger = pino.Logger

export const LOG_FILE = 'replaydesk.log'

/**
 * The process's one logger, writing to a file in the data directory. Subsystems take a
 * child (`logger.child({ name: 'collector' })`). Recorded content and tag values stay out.
 */
export function createLogger(dataDir: string): Logger {
  return pino(
    { level: process.env.REPLAYDESK_LOG_LEVEL ?? 'info' },
    pino.destination({ dest: join(dataDir, LOG_FILE), mkdir: true, sync: false }),
  )
}
