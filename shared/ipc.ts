import type { ApiErrorBody, ExportSelection, TransferJob } from './api'

/** The IPC channel that carries every call of the contract in the desktop window. */
export const API_CHANNEL = 'replaydesk:api'

/** Channels for what needs the main process's dialogs: choosing files to save or open. */
export const FILE_CHANNELS = {
  export: 'replaydesk:export',
  import: 'replaydesk:import',
  open: 'replaydesk:open',
} as const

/** The main process tells the window a menu item was chosen that the window carries out. */
export const MENU_CHANNEL = 'replaydesk:menu'
export type MenuCommand = 'import' | 'open'

export type IpcReply<T> = { result: T } | { error: ApiErrorBody }

/** What the preload exposes as `window.replaydesk`. */
export interface IpcBridge {
  call(method: string, args: unknown[]): Promise<IpcReply<unknown>>
  /** Asks where to save, then starts the export; null when the user cancels. */
  exportBundle(selection: ExportSelection): Promise<IpcReply<TransferJob | null>>
  /** Imports bundles at these paths, or asks which with a dialog when null. */
  importBundles(paths: string[] | null): Promise<IpcReply<TransferJob | null>>
  /** Asks for a bundle and shows it read-only in a window of its own. */
  openBundle(): Promise<IpcReply<null>>
  /** Where a file dropped on the window is on disk. */
  pathForFile(file: Blob): string
  /** Runs `listener` when a menu item the window carries out is chosen. */
  onMenu(listener: (command: MenuCommand) => void): void
}
