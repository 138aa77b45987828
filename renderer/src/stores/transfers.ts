import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ExportSelection, TransferJob } from '../../../shared/api'
import { api } from '../api'
import { transferClient } from '../transfers'
import { useSessionsStore } from './sessions'

/** How often a running export or import is asked for its progress. */
const POLL_MS = 250

/** What the transfer panel shows: one export, import or upload at a time, then its outcome. */
export const useTransfersStore = defineStore('transfers', () => {
  const sessions = useSessionsStore()
  const job = ref<TransferJob | null>(null)
  /** A bundle going up to the back end (headless mode), before its job starts. */
  const upload = ref<{ file: string; sent: number; total: number } | null>(null)
  const error = ref<string | null>(null)
  /** Headless mode: the address of a bundle opened read-only, to open in a new tab. */
  const openedUrl = ref<string | null>(null)
  const busy = ref(false)

  /** Runs one transfer from start to outcome; another cannot start meanwhile. */
  async function run(start: () => Promise<TransferJob | null>): Promise<void> {
    if (busy.value) return
    busy.value = true
    error.value = null
    openedUrl.value = null
    try {
      const started = await start()
      upload.value = null
      if (!started) return
      job.value = started
      while (job.value.state === 'running') {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
        job.value = await api.getTransfer(started.id)
      }
      if (job.value.state === 'done' && job.value.downloadUrl) download(job.value)
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      upload.value = null
      busy.value = false
    }
  }

  const onUpload = (file: string, sent: number, total: number) => {
    upload.value = { file, sent, total }
  }

  function exportSessions(selection: ExportSelection): Promise<void> {
    return run(() => transferClient.exportSessions(selection))
  }

  function importFiles(files: File[]): Promise<void> {
    if (sessions.library?.readOnly) {
      error.value = 'This window shows a bundle read-only: import into your own library.'
      return Promise.resolve()
    }
    return run(() => transferClient.importFiles(files, onUpload))
  }

  function chooseAndImport(): Promise<void> {
    return run(() => transferClient.chooseAndImport())
  }

  async function openBundle(file: File | null): Promise<void> {
    await run(async () => {
      openedUrl.value = await transferClient.openBundle(file, onUpload)
      return null
    })
  }

  function dismiss(): void {
    if (busy.value) return
    job.value = null
    error.value = null
    openedUrl.value = null
  }

  return {
    job,
    upload,
    error,
    openedUrl,
    busy,
    exportSessions,
    importFiles,
    chooseAndImport,
    openBundle,
    dismiss,
  }
})

/** Saves a finished export through the browser's own download. */
function download(job: TransferJob): void {
  const link = document.createElement('a')
  link.href = job.downloadUrl!
  link.download = job.exported?.name ?? ''
  link.click()
}
