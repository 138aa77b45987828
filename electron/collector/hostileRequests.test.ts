/**
 * The fuzz test: well over a thousand hostile requests against a real collector and store.
 * Every one must get a 4xx, the server must keep serving, and the store must not change by
 * a byte of content (a digest of every row of every table is compared).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import pino from 'pino'
import { SessionIndex } from '../index/SessionIndex'
import { startServer, type RunningServer } from '../server/startServer'
import { ReplaydeskService } from '../service/ReplaydeskService'
import { DATABASE_FILE, Store } from '../store/Store'
import { makeBatch } from '../testing/makeBatch'
import { Collector } from './Collector'

const dir = mkdtempSync(join(tmpdir(), 'replaydesk-fuzz-'))
let store: Store
let server: RunningServer
let port: number
// A connection per request: one refused request must not take the next one with it.
const agent = new Agent({ keepAlive: false, maxSockets: 8 })

interface HostileRequest {
  name: string
  method?: string
  path?: string
  headers?: Record<string, string>
  body?: Buffer | string
}

function send(r: HostileRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: r.method ?? 'POST',
        path: r.path ?? '/ingest',
        headers: { host: `127.0.0.1:${port}`, 'content-type': 'text/plain', ...r.headers },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode!))
      },
    )
    // Past the size limit the server answers 413 and closes without reading the rest, so
    // the client may fail to finish writing: the one case where no status comes back.
    req.on('error', (error: NodeJS.ErrnoException) =>
      r.name === 'oversized body' && (error.code === 'EPIPE' || error.code === 'ECONNRESET')
        ? resolve(413)
        : reject(error),
    )
    req.end(r.body)
  })
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
}

/** A digest of every row of every table, in a stable order. */
function digestStore(): string {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true })
  const hash = createHash('sha256')
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all() as { name: string }[]
  for (const { name } of tables) {
    const rows = db
      .prepare(`SELECT * FROM "${name}"`)
      .raw()
      .all()
      .map((row) =>
        JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)),
      )
    hash.update(`${name}\n${rows.sort().join('\n')}\n`)
  }
  db.close()
  return hash.digest('hex')
}

const json = (value: unknown) => JSON.stringify(value)
const batchWith = (overrides: Record<string, unknown>) => ({ ...makeBatch(), ...overrides })
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const nastyIds = [
  '../../../etc/passwd',
  'session\u00000001',
  'session\n0001',
  '%2e%2e%2fsession',
  'séssion-0001',
  'session 0001',
  'short',
  'x'.repeat(65),
  '',
  'session-0001\u202e',
]
const badTypes: [string, unknown][] = [
  ['v', 2],
  ['v', '1'],
  ['sid', 12345678],
  ['seq', '0'],
  ['seq', -1],
  ['seq', 1.5],
  ['seq', 2_000_000],
  ['events', {}],
  ['events', 'events'],
  ['commands', 'tag'],
  ['meta', []],
  ['meta', { url: 1 }],
  ['events', [{ type: '2', timestamp: 1 }]],
  ['events', [{ type: 2, timestamp: -1 }]],
  ['events', [{ type: 2, timestamp: 1e300 }]],
  ['events', [{ type: 2 }]],
  ['events', [null]],
  ['commands', [{ op: 'tag', t: 1, value: { plan: { nested: true } } }]],
  ['commands', [{ op: 'tag', t: 1, value: { plan: null } }]],
  ['commands', [{ op: 'identify', t: 1, value: 42 }]],
  ['commands', [{ op: 'eval', t: 1, value: 'alert(1)' }]],
]

/** One hostile request of each family in turn, varied by the generator. */
function hostileRequests(count: number): HostileRequest[] {
  const next = random(42)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const valid = json(makeBatch({ sid: 'session-fuzzed' }))
  const families: (() => HostileRequest)[] = [
    () => ({ name: 'broken JSON', body: valid.slice(0, Math.floor(next() * valid.length)) }),
    () => {
      const gz = gzipSync(valid)
      const cut = gz.subarray(0, 2 + Math.floor(next() * (gz.length - 12)))
      return { name: 'broken gzip', body: Buffer.concat([cut, Buffer.from([next() * 255])]) }
    },
    () => {
      const [field, value] = pick(badTypes)
      return { name: `wrong type in ${field}`, body: json(batchWith({ [field]: value })) }
    },
    () => {
      const field = pick(['sid', 'tab', 'page'])
      return { name: `nasty ${field}`, body: json(batchWith({ [field]: pick(nastyIds) })) }
    },
    () => {
      const huge = 'A'.repeat(5_000 + Math.floor(next() * 50_000))
      const where = pick([
        { sid: huge },
        { commands: [{ op: 'tag', t: 1, value: huge }] },
        { commands: [{ op: 'tag', t: 1, value: { [huge]: 1 } }] },
        { commands: [{ op: 'tag', t: 1, value: { plan: huge } }] },
        { commands: [{ op: 'identify', t: 1, value: huge }] },
        { meta: { ...makeBatch().meta!, url: huge } },
        { meta: { ...makeBatch().meta!, userAgent: huge } },
      ])
      return { name: 'huge string', body: json(batchWith(where)) }
    },
    () => {
      const depth = 513 + Math.floor(next() * 5_000)
      const body = pick([nested(depth), valid.replace('"data":{', `"data":{"x":${nested(depth)},`)])
      return { name: 'deep nesting', body: next() < 0.5 ? body : gzipSync(body) }
    },
    () => ({
      name: 'odd content type',
      headers: {
        'content-type': pick([
          'application/xml',
          'multipart/form-data; boundary=x',
          'text/html',
          'image/png',
          'application/x-www-form-urlencoded',
          'text/plain, text/html',
        ]),
      },
      body: valid,
    }),
    () => ({
      name: 'wrong Host',
      headers: {
        host: pick([
          'evil.example',
          `evil.example:${port}`,
          `127.0.0.1:${port + 1}`,
          `127.0.0.1.evil.example:${port}`,
          `localhost.:${port}`,
          `[::1]:${port}`,
        ]),
      },
      body: valid,
    }),
    () => ({
      name: 'path trick',
      method: pick(['GET', 'POST']),
      path: pick([
        '/../replaydesk.db',
        '/%2e%2e/replaydesk.db',
        '/cache/../replaydesk.db',
        `/cache/${'g'.repeat(64)}`,
        '/cache/',
        '/api/searchSessions',
        '/api/../api/getEvents',
        '/ingest/../api/searchSessions',
        '//ingest',
      ]),
      body: '[""]',
    }),
    () => ({ name: 'wrong method', method: pick(['GET', 'PUT', 'DELETE', 'PATCH']) }),
    () => {
      const tooMany = pick([
        { events: Array.from({ length: 20_001 }, () => ({ type: 3, timestamp: 1 })) },
        { commands: Array.from({ length: 501 }, () => ({ op: 'tag', t: 1, value: 'x' })) },
        {
          commands: [
            {
              op: 'tag',
              t: 1,
              value: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])),
            },
          ],
        },
      ])
      return { name: 'too many', body: json(batchWith(tooMany)) }
    },
    () => ({ name: 'control characters', body: `{"v":1,"sid":"\u0001\u0002${next()}"}` }),
  ]

  const requests = Array.from({ length: count }, (_, i) => families[i % families.length]!())
  // The expensive ones, a few times each: a gzip bomb and a body over the size limit.
  const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 32))
  for (let i = 0; i < 3; i++) requests.push({ name: 'gzip bomb', body: bomb })
  requests.push({ name: 'oversized body', body: Buffer.alloc(9 * 1024 * 1024, 32) })
  return requests
}

beforeAll(async () => {
  store = Store.open(dir)
  const index = new SessionIndex()
  const snippetFile = join(dir, 'snippet.js')
  writeFileSync(snippetFile, '/* snippet */')
  const uiDir = join(dir, 'ui')
  mkdirSync(uiDir)
  writeFileSync(join(uiDir, 'index.html'), '<!doctype html>')
  server = await startServer({
    port: 0,
    collector: new Collector({ store, index, snippetFile }),
    logger: pino({ level: 'silent' }),
    ui: {
      dir: uiDir,
      token: 'fuzz-token-0123',
      api: new ReplaydeskService(store, index, () => ''),
    },
  })
  port = Number(new URL(server.collectorUrl).port)
  // Something already stored, so "unchanged" means more than "still empty".
  expect(await send({ name: 'seed', body: json(makeBatch({ sid: 'session-seeded' })) })).toBe(200)
})

afterAll(async () => {
  agent.destroy()
  await server.close()
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the collector under hostile input', () => {
  it('answers every hostile request with a 4xx and stores nothing', async () => {
    const before = digestStore()
    const requests = hostileRequests(1_200)

    const refused: { name: string; status: number }[] = []
    for (let i = 0; i < requests.length; i += 8) {
      const slice = requests.slice(i, i + 8)
      const statuses = await Promise.all(slice.map(send))
      statuses.forEach((status, j) => refused.push({ name: slice[j]!.name, status }))
    }

    const accepted = refused.filter(({ status }) => status < 400 || status >= 500)
    expect(accepted).toEqual([])
    expect(refused.length).toBeGreaterThanOrEqual(1_000)
    expect(digestStore()).toBe(before)

    const still = await send({ name: 'valid', body: json(makeBatch({ sid: 'session-after' })) })
    expect(still).toBe(200)
  }, 60_000)
})
