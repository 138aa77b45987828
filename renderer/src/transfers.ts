import type { ExportSelection, TransferJob } from '../../shared/api'
import type { IpcBridge } from '../../shared/ipc'
import { readToken, unwrap, type Reply } from './api'

/** Bytes of a file sent so far, for the progress bar while a bundle goes up. */
export type UploadProgress = (file: string, sent: number, total: number) => void

/**
 * Moving bundle files between the user's disk and the back end. The desktop app lets its
 * main process choose and read files by path; the headless UI uploads and downloads them.
 */
export interface TransferClient {
  /** Whether the back end picks files with its own dialogs (the desktop app). */
  readonly choosesFiles: boolean
  /** Starts an export; null when the user cancelled the save dialog. */
  exportSessions(selection: ExportSelection): Promise<TransferJob | null>
  /** Starts importing these files; null for none. */
  importFiles(files: File[], onUpload: UploadProgress): Promise<TransferJob | null>
  /** Desktop only: asks for files with a dialog, then imports them. */
  chooseAndImport(): Promise<TransferJob | null>
  /**
   * Opens a bundle read-only: the desktop app asks for it and opens a window; the headless
   * UI uploads `file` and returns the address of its view.
   */
  openBundle(file: File | null, onUpload: UploadProgress): Promise<string | null>
}

function desktopClient(bridge: IpcBridge): TransferClient {
  return {
    choosesFiles: true,
    exportSessions: async (selection) => unwrap(await bridge.exportBundle(selection)),
    importFiles: async (files) => {
      const paths = files.map((file) => bridge.pathForFile(file)).filter(Boolean)
      return paths.length === 0 ? null : unwrap(await bridge.importBundles(paths))
    },
    chooseAndImport: async () => unwrap(await bridge.importBundles(null)),
    openBundle: async () => unwrap(await bridge.openBundle()),
  }
}

function headlessClient(): TransferClient {
  const token = readToken()
  const post = async (path: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`/transfer/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Replaydesk-Token': token },
      body: JSON.stringify(body),
    })
    if (!response.ok) throw new Error((await response.text()).trim())
    return unwrap(await response.json())
  }

  /** XMLHttpRequest, not fetch: only it reports an upload's progress. */
  const upload = (path: string, file: File, onUpload: UploadProgress) =>
    new Promise<unknown>((resolve, reject) => {
      const request = new XMLHttpRequest()
      request.open('POST', `/transfer/${path}?name=${encodeURIComponent(file.name)}`)
      request.setRequestHeader('X-Replaydesk-Token', token)
      request.setRequestHeader('Content-Type', 'application/octet-stream')
      request.upload.onprogress = (event) => onUpload(file.name, event.loaded, file.size)
      request.onload = () => {
        if (request.status !== 200) return reject(new Error(request.responseText.trim()))
        try {
          resolve(unwrap(JSON.parse(request.responseText) as Reply))
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)))
        }
      }
      request.onerror = () => reject(new Error(`could not send ${file.name}`))
      request.send(file)
    })

  return {
    choosesFiles: false,
    exportSessions: async (selection) => (await post('export', selection)) as TransferJob,
    importFiles: async (files, onUpload) => {
      if (files.length === 0) return null
      const uploads: string[] = []
      for (const file of files) {
        const sent = (await upload('upload', file, onUpload)) as { uploadId: string }
        uploads.push(sent.uploadId)
      }
      return (await post('import', { uploads })) as TransferJob
    },
    chooseAndImport: async () => null,
    openBundle: async (file, onUpload) => {
      if (!file) return null
      return ((await upload('open', file, onUpload)) as { url: string }).url
    },
  }
}

export const transferClient: TransferClient = window.replaydesk
  ? desktopClient(window.replaydesk)
  : headlessClient()
