import type { BatchInput, PageMeta } from '../../shared/wire'
import { EventType, WIRE_VERSION } from '../../shared/wire'

export type Command = NonNullable<BatchInput['commands']>[number]

/** Seal a batch at about this much raw JSON, before a busy page piles up more. */
const SEAL_BYTES = 512 * 1024

/** A sealed batch: its JSON text and what the sender needs to know about it. */
export interface SealedBatch {
  /** `sid/tab/page/seq`: the collector stores each address once. */
  key: string
  page: string
  /** The batch holds the page's full snapshot; losing it leaves the page unreplayable. */
  snapshot: boolean
  /** The batch carries the page's metadata (it is the page's first). */
  meta: boolean
  body: string
}

/**
 * Collects a page's events and commands and cuts them into numbered batches. The events
 * arrive already serialised so that the size check costs nothing more.
 */
export class Batcher {
  private events: string[] = []
  private bytes = 0
  private snapshot = false
  private commands: Command[] = []
  private seq = 0
  private meta: PageMeta | null

  constructor(
    private readonly sid: () => string,
    private readonly tab: string,
    public page: string,
    meta: PageMeta,
  ) {
    this.meta = meta
  }

  /** Adds one event; true when the batch should be sealed now. */
  addEvent(event: { type: number }): boolean {
    const json = JSON.stringify(event)
    this.events.push(json)
    this.bytes += json.length

    // A full snapshot goes out at once: the rest of the page replays against it, and it
    // is too big to leave for the budget of a closing page.
    if (event.type === EventType.FullSnapshot) this.snapshot = true
    return event.type === EventType.FullSnapshot || this.bytes >= SEAL_BYTES
  }

  addCommand(command: Command): void {
    this.commands.push(command)
  }

  /** Starts a new page view; the caller seals the previous one first. */
  startPage(page: string, meta: PageMeta): void {
    this.page = page
    this.seq = 0
    this.meta = meta
  }

  /** Sends the page's metadata again with the next batch, after the first was lost. */
  restoreMeta(meta: PageMeta): void {
    this.meta = meta
  }

  /**
   * Cuts what is buffered into one batch, or null when there is nothing to send. The count
   * of batches the offline queue dropped rides along, so the loss is visible.
   */
  take(takeDropped: () => number): SealedBatch | null {
    if (this.events.length === 0 && this.commands.length === 0 && this.meta === null) return null
    const dropped = takeDropped()

    const head: Omit<BatchInput, 'events'> = {
      v: WIRE_VERSION,
      sid: this.sid(),
      tab: this.tab,
      page: this.page,
      seq: this.seq++,
      commands: this.commands,
      ...(this.meta ? { meta: this.meta } : {}),
      ...(dropped > 0 ? { dropped } : {}),
    }
    const body = `${JSON.stringify(head).slice(0, -1)},"events":[${this.events.join(',')}]}`
    const sealed = {
      key: `${head.sid}/${head.tab}/${head.page}/${head.seq}`,
      page: this.page,
      snapshot: this.snapshot,
      meta: this.meta !== null,
      body,
    }

    this.events = []
    this.bytes = 0
    this.snapshot = false
    this.commands = []
    this.meta = null
    return sealed
  }
}
