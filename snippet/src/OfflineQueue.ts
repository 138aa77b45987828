/**
 * Batches the collector has not taken yet, kept in IndexedDB so they survive a reload, a
 * closed tab or a collector that is down for a while. Bounded in size and age: the oldest
 * go first, and the count of what went is reported with a later batch.
 *
 * Without IndexedDB (private modes, storage blocked) the same queue lives in memory and
 * lasts as long as the page.
 *
 * A closing page cannot wait for IndexedDB: a transaction started in pagehide is lost with
 * the page. What must survive the close is written synchronously to localStorage instead
 * (the "spill", bounded so as not to crowd the site's own data) and moved into IndexedDB by
 * the next page load.
 */
const DB_NAME = 'replaydesk'
const STORE = 'outbox'
const MAX_BYTES = 4 * 1024 * 1024
const MAX_AGE_MS = 3 * 24 * 60 * 60 * 1000
const DROPPED_KEY = 'replaydesk:dropped'
const SPILL_KEY = 'replaydesk:spill'
/** Characters of localStorage the spill may use; the site's own quota is about 5 M. */
const MAX_SPILL_CHARS = 1024 * 1024

export interface QueuedBatch {
  key: string
  endpoint: string
  page: string
  snapshot: boolean
  meta?: boolean
  body: string
  at: number
}

function settle<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

export class OfflineQueue {
  private db: IDBDatabase | null = null
  private readonly memory = new Map<string, QueuedBatch>()

  constructor(private readonly onDrop: (batch: QueuedBatch) => void) {}

  /** Opens the database; until it is open (or if it cannot be), batches wait in memory. */
  async open(): Promise<void> {
    try {
      const request = indexedDB.open(DB_NAME, 1)
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' })
      this.db = await settle(request)
    } catch {
      this.db = null
    }
    const waiting = [...this.memory.values(), ...readSpill()]
    this.memory.clear()
    for (const batch of waiting) this.put(batch)
    writeSpill([])
  }

  /** Stores a batch at once, for a page that is closing; false when there is no room. */
  spill(batch: QueuedBatch): boolean {
    this.memory.set(batch.key, batch)
    const spilled = readSpill().filter((b) => b.key !== batch.key)
    return writeSpill([...spilled, batch])
  }

  /** Stores a batch. Synchronous as far as the page is concerned, so pagehide can use it. */
  put(batch: QueuedBatch): void {
    if (!this.db) {
      this.memory.set(batch.key, batch)
      return
    }
    try {
      this.db.transaction(STORE, 'readwrite').objectStore(STORE).put(batch)
    } catch {
      this.memory.set(batch.key, batch)
    }
  }

  remove(key: string): void {
    this.memory.delete(key)
    const spilled = readSpill()
    if (spilled.some((b) => b.key === key)) writeSpill(spilled.filter((b) => b.key !== key))
    try {
      this.db?.transaction(STORE, 'readwrite').objectStore(STORE).delete(key)
    } catch {
      // A batch that stays is sent again; the collector stores it once.
    }
  }

  /** Every batch waiting, oldest first, after dropping what is past the bounds. */
  async list(): Promise<QueuedBatch[]> {
    let batches = [...this.memory.values()]
    if (this.db) {
      const store = this.db.transaction(STORE, 'readonly').objectStore(STORE)
      batches = batches.concat(await settle(store.getAll() as IDBRequest<QueuedBatch[]>))
    }
    batches.sort((a, b) => a.at - b.at)

    const now = Date.now()
    let bytes = batches.reduce((sum, b) => sum + b.body.length, 0)
    const kept: QueuedBatch[] = []
    for (const batch of batches) {
      if (now - batch.at > MAX_AGE_MS || bytes > MAX_BYTES) {
        bytes -= batch.body.length
        this.drop(batch)
      } else {
        kept.push(batch)
      }
    }
    return kept
  }

  /** How many batches were dropped since the last call, which resets the count. */
  takeDropped(): number {
    const dropped = Number(readDropped())
    if (dropped > 0) writeDropped('0')
    return Number.isFinite(dropped) ? dropped : 0
  }

  private drop(batch: QueuedBatch): void {
    this.remove(batch.key)
    writeDropped(String(Number(readDropped()) + 1))
    this.onDrop(batch)
  }
}

function readSpill(): QueuedBatch[] {
  try {
    const saved = JSON.parse(localStorage.getItem(SPILL_KEY) ?? '[]') as unknown
    return Array.isArray(saved) ? (saved as QueuedBatch[]) : []
  } catch {
    return []
  }
}

function writeSpill(batches: QueuedBatch[]): boolean {
  try {
    if (batches.length === 0) {
      localStorage.removeItem(SPILL_KEY)
      return true
    }
    const json = JSON.stringify(batches)
    if (json.length > MAX_SPILL_CHARS) return false
    localStorage.setItem(SPILL_KEY, json)
    return true
  } catch {
    return false
  }
}

function readDropped(): string {
  try {
    return localStorage.getItem(DROPPED_KEY) ?? '0'
  } catch {
    return '0'
  }
}

function writeDropped(value: string): void {
  try {
    localStorage.setItem(DROPPED_KEY, value)
  } catch {
    // The count is a courtesy; losing it loses no recording.
  }
}
