/**
 * The sessions holding something: one id alone, or a set. Most emails, ids and identities
 * belong to one session, and a set for a single id costs ten times the id itself; at
 * 100,000 sessions that difference is tens of megabytes.
 */
export type Holders = string | Set<string>

/** Sessions holding one distinct value, with the value as first seen for display. */
export interface ValueEntry {
  display: string
  holders: Holders
}

export function countHolders(holders: Holders): number {
  return typeof holders === 'string' ? 1 : holders.size
}

/** The holders as a set to read; the index's own set when there is one. */
export function readHolders(holders: string | ReadonlySet<string>): ReadonlySet<string> {
  return typeof holders === 'string' ? new Set([holders]) : holders
}

/** Adds a session; returns the holders to keep, which changes when one id becomes two. */
export function addHolder(holders: Holders | undefined, id: string): Holders {
  if (holders === undefined || holders === id) return id
  if (typeof holders === 'string') return new Set([holders, id])
  holders.add(id)
  return holders
}

/** Removes a session; returns the holders left (an id alone again) or undefined for none. */
export function removeHolder(holders: Holders, id: string): Holders | undefined {
  if (typeof holders === 'string') return holders === id ? undefined : holders
  holders.delete(id)
  if (holders.size > 1) return holders
  return holders.size === 1 ? holders.values().next().value! : undefined
}

/**
 * Sessions grouped by a distinct text value, compared without regard to case. Distinct
 * values are far fewer than sessions for browsers, plans or URLs, so a "contains" term scans
 * the values and unions their sets instead of looking at every session.
 */
export class ValueSets {
  private readonly entries = new Map<string, ValueEntry>()
  private union: ReadonlySet<string> | null = null

  add(value: string, id: string): void {
    const key = value.toLowerCase()
    const entry = this.entries.get(key)
    if (entry) entry.holders = addHolder(entry.holders, id)
    else this.entries.set(key, { display: value, holders: id })
    this.union = null
  }

  delete(value: string, id: string): void {
    const key = value.toLowerCase()
    const entry = this.entries.get(key)
    if (!entry) return
    const left = removeHolder(entry.holders, id)
    if (left === undefined) this.entries.delete(key)
    else entry.holders = left
    this.union = null
  }

  /** The sessions with exactly this value. Read only. */
  exactly(value: string): ReadonlySet<string> {
    const entry = this.entries.get(value.toLowerCase())
    return entry ? readHolders(entry.holders) : EMPTY
  }

  /** Sessions with any value at all (`has:key`), kept until the next change. Read only. */
  all(): ReadonlySet<string> {
    if (this.union) return this.union
    if (this.entries.size === 1) return readHolders([...this.entries.values()][0]!.holders)
    const union = new Set<string>()
    for (const entry of this.entries.values()) addAll(union, entry.holders)
    return (this.union = union)
  }

  /** The value as first seen, given it in any case. */
  displayOf(value: string): string | undefined {
    return this.entries.get(value.toLowerCase())?.display
  }

  containing(needle: string): Set<string> {
    const wanted = needle.toLowerCase()
    const result = new Set<string>()
    for (const [value, entry] of this.entries) {
      if (value.includes(wanted)) addAll(result, entry.holders)
    }
    return result
  }

  values(): IterableIterator<ValueEntry> {
    return this.entries.values()
  }

  get distinct(): number {
    return this.entries.size
  }
}

export function addAll(target: Set<string>, holders: string | ReadonlySet<string>): void {
  if (typeof holders === 'string') target.add(holders)
  else for (const id of holders) target.add(id)
}

export const EMPTY: ReadonlySet<string> = new Set()
