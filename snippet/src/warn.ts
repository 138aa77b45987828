/**
 * The snippet's one channel to the page's developer, and the wrapper that keeps our failures
 * out of the host page: whatever goes wrong here is reported on the console, never thrown.
 */
export function warn(message: string): void {
  try {
    console.warn(`[replaydesk] ${message}`)
  } catch {
    // A console that throws is no reason to break the page.
  }
}

/** Wraps `fn` so that it reports instead of throwing. */
export function safely<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args)
    } catch (error) {
      warn(`internal error: ${String(error)}`)
    }
  }
}
