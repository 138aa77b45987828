import type { ApiErrorBody } from './api'

/** The IPC channel that carries every call of the contract in the desktop window. */
export const API_CHANNEL = 'replaydesk:api'

/** What the preload exposes as `window.replaydesk`. */
export interface IpcBridge {
  call(method: string, args: unknown[]): Promise<{ result: unknown } | { error: ApiErrorBody }>
}
