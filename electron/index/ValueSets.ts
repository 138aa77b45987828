/** Sessions holding one distinct value, with the value as first seen for display. */
export interface ValueEntry {
  display: string
  ids: Set<string>
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
    let entry = this.entries.get(key)
    if (!entry) this.entries.set(key, (entry = { display: value, ids: new Set() }))
    entry.ids.add(id)
    this.union = null
  }

  delete(value: string, id: string): void {
    const key = value.toLowerCase()
    const entry = this.entries.get(key)
    if (!entry) return
    entry.ids.delete(id)
    if (entry.ids.size === 0) this.entries.delete(key)
    this.union = null
  }

  /** The sessions with exactly this value. Do not modify the set returned. */
  exactly(value: string): ReadonlySet<string> {
    return this.entries.get(value.toLowerCase())?.ids ?? EMPTY
  }

  /** Sessions with any value at all (`has:key`), kept until the next change. Read only. */
  all(): ReadonlySet<string> {
    if (this.union) return this.union
    if (this.entries.size === 1) return [...this.entries.values()][0]!.ids
    const union = new Set<string>()
    for (const entry of this.entries.values()) for (const id of entry.ids) union.add(id)
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
      if (value.includes(wanted)) for (const id of entry.ids) result.add(id)
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

export const EMPTY: ReadonlySet<string> = new Set()
