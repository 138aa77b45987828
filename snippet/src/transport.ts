/**
 * Getting a batch to the collector: gzipped, with no custom header so that no CORS
 * preflight is needed, and within the browsers' budget for requests that outlive the page.
 */
import { gzipSync, strToU8 } from 'fflate'

/** Browsers share 64 KiB among all keepalive requests and beacons in flight; stay under it. */
export const KEEPALIVE_BUDGET = 60_000

/** What became of a request: stored, worth retrying later, or refused for good (4xx). */
export type Outcome = 'stored' | 'retry' | 'refused'

let keepaliveInFlight = 0

/** Bytes rather than a Blob: DevTools and proxies show the body of such a request. */
export async function gzip(text: string): Promise<Uint8Array> {
  if (typeof CompressionStream === 'undefined') return gzipSync(strToU8(text))
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/** Posts one batch; never rejects. */
export async function postBatch(endpoint: string, body: string): Promise<Outcome> {
  let reserved = 0
  try {
    const payload = await gzip(body)
    const keepalive = keepaliveInFlight + payload.byteLength <= KEEPALIVE_BUDGET
    if (keepalive) reserved = payload.byteLength
    keepaliveInFlight += reserved

    const response = await fetch(endpoint, {
      method: 'POST',
      body: payload as Uint8Array<ArrayBuffer>,
      mode: 'cors',
      credentials: 'omit',
      keepalive,
    })
    if (response.ok) return 'stored'
    return response.status >= 500 ? 'retry' : 'refused'
  } catch {
    // Offline, collector down, or a CSP that forbids it: all look alike from here.
    return 'retry'
  } finally {
    keepaliveInFlight -= reserved
  }
}

/**
 * Sends a batch as the page closes, gzipped synchronously because nothing asynchronous
 * finishes after pagehide. False when it is too big or the browser refuses it.
 */
export function beaconBatch(endpoint: string, body: string): boolean {
  const payload = gzipSync(strToU8(body))
  if (keepaliveInFlight + payload.length > KEEPALIVE_BUDGET) return false
  try {
    return navigator.sendBeacon(endpoint, payload)
  } catch {
    return false
  }
}
