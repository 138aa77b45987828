import type { Comparison } from '../../shared/query'

/**
 * One number per session (a start time, a duration, a numeric tag) answering range terms
 * by binary search. Writes only mark the sorted copy stale; it is rebuilt on the next range
 * query, so a stream of upserts costs nothing until someone asks.
 */
export class SortedColumn {
  private readonly values = new Map<string, number>()
  private sorted: { ids: string[]; values: Float64Array } | null = null

  get size(): number {
    return this.values.size
  }

  set(id: string, value: number): void {
    if (this.values.get(id) === value) return
    this.values.set(id, value)
    this.sorted = null
  }

  delete(id: string): void {
    if (this.values.delete(id)) this.sorted = null
  }

  /** Ids whose value satisfies `value OP operand`. */
  select(op: Comparison, operand: number): Set<string> {
    const { ids, values } = this.sortedView()
    const firstAtLeast = lowerBound(values, operand)
    const firstAbove = upperBound(values, operand)
    const [from, to] =
      op === '='
        ? [firstAtLeast, firstAbove]
        : op === '>'
          ? [firstAbove, values.length]
          : op === '>='
            ? [firstAtLeast, values.length]
            : op === '<'
              ? [0, firstAtLeast]
              : [0, firstAbove]

    const result = new Set<string>()
    for (let i = from; i < to; i++) result.add(ids[i]!)
    return result
  }

  private sortedView(): { ids: string[]; values: Float64Array } {
    if (this.sorted) return this.sorted
    const entries = [...this.values].sort((a, b) => a[1] - b[1])
    this.sorted = {
      ids: entries.map((e) => e[0]),
      values: Float64Array.from(entries, (e) => e[1]),
    }
    return this.sorted
  }
}

function lowerBound(values: Float64Array, x: number): number {
  let lo = 0
  let hi = values.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (values[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

function upperBound(values: Float64Array, x: number): number {
  let lo = 0
  let hi = values.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (values[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}
