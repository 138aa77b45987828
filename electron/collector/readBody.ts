import type { IncomingMessage } from 'node:http'
import { gunzip } from 'node:zlib'
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

/** Inflates a gzip body, stopping at `maxBytes` of output so a gzip bomb costs nothing. */
export async function inflate(body: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RequestError(413, `inflated body is larger than ${maxBytes} bytes`)
    }
    throw new RequestError(400, 'body is not valid gzip')
  }
}
