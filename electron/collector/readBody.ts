import type { IncomingMessage } from 'node:http'
import { gunzip, gunzipSync } from 'node:zlib'
import { promisify } from 'node:util'

const gunzipAsync = promisify(gunzip)

/** A request the collector refuses, with the status and the one line it answers. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Reads a body up to `maxBytes`, refusing larger ones before they are read whole. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new RequestError(413, `body is larger than ${maxBytes} bytes`)
  }

  const parts: Buffer[] = []
  let size = 0
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length
    if (size > maxBytes) {
      throw new RequestError(413, `body is larger than ${maxBytes} bytes`)
    }
    parts.push(part)
  }
  return Buffer.concat(parts)
}

export function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b
}

/**
 * A small body is inflated on the main thread first, up to 1 MB of output: handing a few
 * kilobytes to the thread pool costs more than inflating them. One that inflates to more
 * (a big batch, or a bomb) starts again in the pool, so the main thread never spends more
 * than about a millisecond on one body.
 */
const INLINE_INPUT_BYTES = 64 * 1024
const INLINE_OUTPUT_BYTES = 1024 * 1024

/** Inflates a gzip body, stopping at `maxBytes` of output so a gzip bomb costs nothing. */
export async function inflate(body: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    if (body.length < INLINE_INPUT_BYTES) {
      const inline = inflateInline(body, Math.min(maxBytes, INLINE_OUTPUT_BYTES))
      if (inline) return inline
    }
    return await gunzipAsync(body, { maxOutputLength: maxBytes })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RequestError(413, `inflated body is larger than ${maxBytes} bytes`)
    }
    throw new RequestError(400, 'body is not valid gzip')
  }
}

/** The inflated body, or null when it is larger than `maxBytes`. */
function inflateInline(body: Buffer, maxBytes: number): Buffer | null {
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null
    throw error
  }
}
