import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import pino from 'pino'
import { SessionIndex } from '../index/SessionIndex'
import { startServer, TOKEN_HEADER, type RunningServer } from '../server/startServer'
import { ReplaydeskService } from '../service/ReplaydeskService'
import { Store } from '../store/Store'
import { makeBatch } from '../testing/makeBatch'
import { Collector } from './Collector'

const dir = mkdtempSync(join(tmpdir(), 'replaydesk-collector-'))
const TOKEN = 'test-token-123'
let store: Store
let index: SessionIndex
let server: RunningServer
let port: number

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw request, so tests control every header, including Host. */
function send(
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const post = (body: Buffer | string, headers: Record<string, string> = {}) =>
  send('POST', '/ingest', body, { 'content-type': 'text/plain', ...headers })

beforeAll(async () => {
  store = Store.open(dir)
  index = new SessionIndex()
  const snippetFile = join(dir, 'snippet.js')
  writeFileSync(snippetFile, '/* snippet */')
  server = await startServer({
    port: 0,
    collector: new Collector({ store, index, snippetFile }),
    logger: pino({ level: 'silent' }),
    ui: { dir, token: TOKEN, api: new ReplaydeskService(store, index, () => '') },
  })
  port = Number(new URL(server.collectorUrl).port)
})

afterAll(async () => {
  await server.close()
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('Collector ingest', () => {
  it('stores a gzipped batch, makes it searchable, and recognises its retry', async () => {
    const body = gzipSync(JSON.stringify(makeBatch({ sid: 'session-gzip' })))

    const first = await post(body)
    expect(first.status).toBe(200)
    expect(JSON.parse(first.body)).toEqual({ ok: true, duplicate: false })
    expect(first.headers['access-control-allow-origin']).toBe('*')
    expect(index.search('').map((s) => s.id)).toContain('session-gzip')

    const retry = await post(body)
    expect(JSON.parse(retry.body)).toEqual({ ok: true, duplicate: true })
    expect(store.getSummary('session-gzip')!.events).toBe(2)
  })

  it('stores a batch once when its retries arrive at the same moment', async () => {
    const body = gzipSync(JSON.stringify(makeBatch({ sid: 'session-racing' })))
    const replies = await Promise.all([1, 2, 3, 4, 5].map(() => post(body)))

    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    const fresh = replies.filter((r) => JSON.parse(r.body).duplicate === false)
    expect(fresh).toHaveLength(1)
    expect(store.getSummary('session-racing')!.events).toBe(2)
  })

  it('brings the listed event count up to date shortly after a batch of events alone', async () => {
    await post(JSON.stringify(makeBatch({ sid: 'session-growing' })))
    const more = makeBatch({ sid: 'session-growing', seq: 1, meta: undefined })
    expect((await post(JSON.stringify(more))).status).toBe(200)

    const listed = () => index.search('').find((s) => s.id === 'session-growing')?.events
    await vi.waitFor(() => expect(listed()).toBe(4), { timeout: 3000 })
  })

  it('takes plain JSON with no content type, as sendBeacon sends it', async () => {
    const reply = await send('POST', '/ingest', JSON.stringify(makeBatch({ sid: 'session-plain' })))
    expect(reply.status).toBe(200)
  })

  it.each([
    ['broken JSON', '{"v":1,', 400, 'not valid JSON'],
    ['broken gzip', Buffer.from([0x1f, 0x8b, 1, 2, 3]), 400, 'not valid gzip'],
    ['a bad id', JSON.stringify(makeBatch({ sid: '../../etc' })), 422, 'sid'],
    [
      'a bad tag',
      JSON.stringify(makeBatch({ commands: [{ op: 'tag', t: 1, value: [] }] })),
      422,
      'commands.0.value',
    ],
    ['JSON nested too deep', `{"v":1,"x":${'['.repeat(600)}${']'.repeat(600)}}`, 422, 'deeper'],
    [
      'a timestamp after 2100',
      JSON.stringify(makeBatch({ events: [{ type: 2, timestamp: 5e12 }] })),
      422,
      'events.0.timestamp',
    ],
    [
      'too many keys in one tag',
      JSON.stringify(
        makeBatch({
          commands: [
            {
              op: 'tag',
              t: 1,
              value: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])),
            },
          ],
        }),
      ),
      422,
      'at most 100 keys',
    ],
    [
      'a tag value over 1,024 characters',
      JSON.stringify(
        makeBatch({ commands: [{ op: 'tag', t: 1, value: { plan: 'x'.repeat(1025) } }] }),
      ),
      422,
      'longer than 1024',
    ],
    [
      'an unknown event type',
      JSON.stringify(makeBatch({ events: [{ type: 9, timestamp: 1 }] })),
      422,
      'events.0.type',
    ],
  ])(
    'refuses %s with a one-line reason and stores nothing',
    async (_name, body, status, reason) => {
      const before = store.listSummaries().length
      const reply = await post(body as string)
      expect(reply.status).toBe(status)
      expect(reply.body).toContain(reason)
      expect(reply.body.trim().split('\n')).toHaveLength(1)
      expect(store.listSummaries().length).toBe(before)
    },
  )

  it('refuses a content type that is not a simple one', async () => {
    const reply = await post('{}', { 'content-type': 'application/xml' })
    expect(reply.status).toBe(415)
  })

  it('cuts off a gzip bomb before inflating it whole', async () => {
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024, 32))
    expect(bomb.length).toBeLessThan(1024 * 1024)
    const reply = await post(bomb)
    expect(reply.status).toBe(413)
  })

  it('takes a small gzip body that inflates to megabytes', async () => {
    const padded = JSON.stringify(makeBatch({ sid: 'session-padded' })) + ' '.repeat(3_000_000)
    const body = gzipSync(padded)
    expect(body.length).toBeLessThan(64 * 1024)
    expect((await post(body)).status).toBe(200)
  })

  it('answers a request that names another host with 421 (DNS rebinding)', async () => {
    const reply = await send('GET', '/snippet.js', undefined, { host: 'evil.example:80' })
    expect(reply.status).toBe(421)
  })

  it('serves the snippet to any origin', async () => {
    const reply = await send('GET', '/snippet.js')
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toContain('javascript')
    expect(reply.headers['access-control-allow-origin']).toBe('*')
  })
})

describe('API over HTTP', () => {
  const call = (token?: string) =>
    send('POST', '/api/searchSessions', '[""]', token ? { [TOKEN_HEADER]: token } : {})

  it('needs the per-run token and opens no CORS', async () => {
    const without = await call()
    expect(without.status).toBe(401)
    expect((await call('wrong')).status).toBe(401)
    expect(without.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('answers the contract’s methods with the token', async () => {
    const reply = await call(TOKEN)
    expect(reply.status).toBe(200)
    const { result } = JSON.parse(reply.body) as { result: { total: number } }
    expect(result.total).toBeGreaterThan(0)
  })

  it('reaches nothing but the contract’s methods', async () => {
    const reply = await send('POST', '/api/constructor', '[]', { [TOKEN_HEADER]: TOKEN })
    expect(JSON.parse(reply.body)).toEqual({
      error: { code: 'not_found', message: 'no API method constructor' },
    })
  })
})
