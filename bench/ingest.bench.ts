/**
 * Ingest throughput: ~5 KB gzip batches through the real `replaydesk serve` (validation,
 * idempotency check, summaries, index, asset listing), against a bare node:http server that
 * only inserts each body into better-sqlite3, measured in the same run with the same load.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
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

/** Sends every body once over `CONNECTIONS` keep-alive connections; returns seconds taken. */
async function load(url: string, bodies: Buffer[]): Promise<number> {
  const { port } = new URL(url)
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  const post = (body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/ingest',
          method: 'POST',
          agent,
          headers: { 'content-type': 'text/plain', 'content-length': body.length },
        },
        (res) => {
          res.resume()
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          )
        },
      )
      req.on('error', reject)
      req.end(body)
    })

  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < bodies.length) await post(bodies[next++]!)
    }),
  )
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  return seconds
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
