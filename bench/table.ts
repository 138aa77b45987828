/** Prints rows as an aligned table, the way every benchmark reports. */
export function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)))
  for (const [n, row] of cells.entries()) {
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    )
    if (n === 0)
      process.stdout.write(
        `${widths
          .map((w) => '-'.repeat(w))
          .join('  ')
          .trimEnd()}\n`,
      )
  }
}

/** Median and 95th percentile of a list of samples. */
export function percentiles(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return { median: at(0.5), p95: at(0.95) }
}
