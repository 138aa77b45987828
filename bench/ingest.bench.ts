/**
 * Ingest throughput: ~5 KB gzip batches through the real `replaydesk serve` (validation,
 * idempotency check, summaries, index, asset listing), against a bare node:http server that
 * only inserts each body into better-sqlite3, measured in the same run with the same load.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { printTable } from './table'

const BATCHES = Number(process.env.BENCH_BATCHES ?? 8_000)
const CONNECTIONS = 32
const root = join(import.meta.dirname, '..')

/** The baseline: what a collector costs with nothing but the HTTP server and an insert. */
const BARE_SERVER = `
  import { createServer } from 'node:http'
  import Database from 'better-sqlite3'
  const db = new Database(process.argv[1] + '/bare.db')
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE chunks (id INTEGER PRIMARY KEY, body BLOB NOT NULL)')
  const insert = db.prepare('INSERT INTO chunks (body) VALUES (?)')
  const server = createServer((req, res) => {
    const parts = []
    req.on('data', (d) => parts.push(d))
    req.on('end', () => {
      insert.run(Buffer.concat(parts))
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end('{"ok":true}')
    })
  })
  server.listen(0, '127.0.0.1', () => {
    console.log('Collector: http://127.0.0.1:' + server.address().port)
  })
`

/** Batches as the snippet sends them: a few incremental events whose text does not compress. */
function makeBodies(count: number, prefix: string): Buffer[] {
  const filler = randomBytes(1 << 16).toString('base64')
  return Array.from({ length: count }, (_, n) => {
    const t = 1_764_000_000_000 + n
    const offset = (n * 997) % (filler.length - 7_000)
    return gzipSync(
      JSON.stringify({
        v: 1,
        sid: `bench-${prefix}-${n % 500}`,
        tab: 'bench-tab-01',
        page: 'bench-page-01',
        seq: Math.floor(n / 500),
        commands: [],
        events: [0, 1, 2, 3].map((i) => ({
          type: 3,
          timestamp: t + i,
          data: {
            source: 5,
            id: i,
            text: filler.slice(offset + i * 1650, offset + (i + 1) * 1650),
          },
        })),
      }),
    )
  })
}

async function start(args: string[], cwd: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { cwd })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const deadline = Date.now() + 15_000
  while (!/^Collector:\s+(\S+)/m.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no server:\n${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return { url: /^Collector:\s+(\S+)/m.exec(output)![1]!, child }
}

/**
 * Sends every body once over `CONNECTIONS` keep-alive connections and returns the seconds it
 * took. A bare socket client: requests are written pre-built and replies only counted, so on
 * a 2-core machine the load generator takes as little CPU from the servers as it can.
 */
async function load(url: string, bodies: Buffer[]): Promise<number> {
  const { port, host } = new URL(url)
  const requests = bodies.map((body) =>
    Buffer.concat([
      Buffer.from(
        `POST /ingest HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\n` +
          `Content-Length: ${body.length}\r\n\r\n`,
      ),
      body,
    ]),
  )

  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONNECTIONS }, () => sendInTurn(Number(port), requests, () => next++)),
  )
  return (performance.now() - started) / 1000
}

/** Where a reply ends (by Content-Length or the last chunk), or -1 if not all here yet. */
function replyEnd(data: Buffer, head: string, bodyStart: number): number {
  const length = /content-length:\s*(\d+)/i.exec(head)?.[1]
  if (length !== undefined) {
    const end = bodyStart + Number(length)
    return data.length >= end ? end : -1
  }
  const last = data.indexOf('\r\n0\r\n\r\n', bodyStart - 2)
  return last < 0 ? -1 : last + 7
}

/** One connection: writes a request, waits for its whole reply, then takes the next. */
function sendInTurn(port: number, requests: Buffer[], take: () => number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    let pending: Buffer = Buffer.alloc(0)

    const sendNext = (): void => {
      const n = take()
      if (n >= requests.length) {
        socket.end()
        return resolve()
      }
      socket.write(requests[n]!)
    }

    socket.on('data', (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data])
      for (;;) {
        const headerEnd = pending.indexOf('\r\n\r\n')
        if (headerEnd < 0) return
        const head = pending.subarray(0, headerEnd).toString('latin1')
        if (!head.startsWith('HTTP/1.1 200')) {
          socket.destroy()
          return reject(new Error(`the server answered ${head.split('\r\n')[0]}`))
        }
        const end = replyEnd(pending, head, headerEnd + 4)
        if (end < 0) return
        pending = pending.subarray(end)
        sendNext()
      }
    })
    socket.on('error', reject)
    socket.on('connect', sendNext)
  })
}

export default async function run(): Promise<void> {
  const bodies = makeBodies(BATCHES, 'session')
  const megabytes = bodies.reduce((sum, b) => sum + b.length, 0) / 1024 / 1024
  const rows: (string | number)[][] = []
  const rates: number[] = []

  const targets: [string, (dir: string) => string[]][] = [
    ['bare node:http + insert', (dir) => ['--input-type=module', '-e', BARE_SERVER, dir]],
    [
      'replaydesk serve',
      (dir) => [join(root, 'bin', 'replaydesk.js'), 'serve', '--port', '0', '--data', dir],
    ],
  ]
  for (const [name, args] of targets) {
    const dir = mkdtempSync(join(tmpdir(), 'replaydesk-bench-'))
    const server = await start(args(dir), root)
    try {
      // Warm up with batches of other sessions, so none of the measured ones is a duplicate.
      await load(server.url, makeBodies(200, 'warmup'))
      const seconds = await load(server.url, bodies)
      rates.push(BATCHES / seconds)
      rows.push([name, Math.round(BATCHES / seconds), (megabytes / seconds).toFixed(1)])
    } finally {
      server.child.kill('SIGTERM')
      await new Promise((r) => server.child.once('exit', r))
      rmSync(dir, { recursive: true, force: true })
    }
  }

  const kb = ((megabytes * 1024) / BATCHES).toFixed(1)
  process.stdout.write(`${BATCHES} batches of ~${kb} KB gzip, ${CONNECTIONS} connections\n\n`)
  printTable(['server', 'batches/s', 'MB/s'], rows)
  process.stdout.write(`\nreplaydesk / bare: ${(rates[1]! / rates[0]!).toFixed(2)}\n`)
}
