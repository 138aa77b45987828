import type { Comparison } from '../../shared/query'

/** One step of a column: a value and the session (or sessions) holding it. */
export type ColumnStep = [value: number, holders: string | ReadonlySet<string>]

/**
 * Numbers (start times, durations, numeric or date tags) answering range terms by binary
 * search. It keeps no copy per session: it reads its steps from the index when first asked
 * after a change, so a stream of upserts costs nothing until someone compares.
 */
export class SortedColumn {
  private sorted: { values: Float64Array; holders: (string | ReadonlySet<string>)[] } | null = null

  constructor(private readonly read: () => Iterable<ColumnStep>) {}

  /** The index changed what `read` returns. */
  invalidate(): void {
    this.sorted = null
  }

  /** Sessions whose value satisfies `value OP operand`. Read only. */
  select(op: Comparison, operand: number): ReadonlySet<string> {
    const { values, holders } = this.sortedView()
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

    const only = holders[from]
    if (to - from === 1 && typeof only !== 'string') return only!
    const result = new Set<string>()
    for (let i = from; i < to; i++) {
      const h = holders[i]!
      if (typeof h === 'string') result.add(h)
      else for (const id of h) result.add(id)
    }
    return result
  }

  private sortedView(): { values: Float64Array; holders: (string | ReadonlySet<string>)[] } {
    if (this.sorted) return this.sorted
    const steps = [...this.read()].sort((a, b) => a[0] - b[0])
    this.sorted = {
      values: Float64Array.from(steps, (s) => s[0]),
      holders: steps.map((s) => s[1]),
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
