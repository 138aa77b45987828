import type { ErrorPayload } from '../../shared/wire'

/**
 * Reports the page's uncaught errors and unhandled rejections. Resource load failures
 * (an <img> that 404s) also fire `error` on window in the capture phase; listening in the
 * bubble phase leaves them out.
 */
export function watchErrors(report: (payload: ErrorPayload) => void): void {
  addEventListener('error', (event) => {
    if (!(event instanceof ErrorEvent)) return
    report(describeError('error', event.error, event.message))
  })
  addEventListener('unhandledrejection', (event) => {
    report(describeError('unhandledrejection', event.reason, ''))
  })
}

function describeError(
  source: ErrorPayload['source'],
  thrown: unknown,
  fallback: string,
): ErrorPayload {
  const error = thrown instanceof Error ? thrown : null
  const message = error ? `${error.name}: ${error.message}` : fallback || String(thrown)
  const frame = error?.stack
    ?.split('\n')
    .map((line) => line.trim())
    .find((line) => line.startsWith('at ') || line.includes('@'))

  return {
    message: message.slice(0, 1024),
    source,
    ...(frame ? { frame: frame.slice(0, 512) } : {}),
  }
}
