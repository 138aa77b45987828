/**
 * Real parts for end-to-end tests: the built `replaydesk` command, a static site on its own
 * loopback port, and Debian's Chromium driven by Playwright.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { gunzipSync } from 'node:zlib'
import { dirname, extname, join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import Database from 'better-sqlite3'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'
import { findChromium } from '../electron/bundle/findChromium'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'replaydesk.js')

export function makeDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'replaydesk-e2e-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Runs `replaydesk ARGS` to completion. */
export function cli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env })
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr }
}

/** Runs `replaydesk ARGS --json` and parses what it prints. */
export function cliJson<T>(args: string[]): T {
  const result = cli([...args, '--json'])
  if (result.status !== 0) throw new Error(`replaydesk ${args.join(' ')}: ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}

export interface Serving {
  collectorUrl: string
  uiUrl: string
  process: ChildProcess
  output: () => string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts `replaydesk serve --port PORT` (any free port by default) with any extra arguments,
 * and waits for the addresses it prints.
 */
export async function serve(dataDir: string, port = 0, extraArgs: string[] = []): Promise<Serving> {
  const child = spawn(process.execPath, [
    bin,
    'serve',
    '--port',
    String(port),
    '--data',
    dataDir,
    ...extraArgs,
  ])
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))

  const deadline = Date.now() + 15_000
  while (!/^UI:\s+\S+/m.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`replaydesk serve did not start:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }

  return {
    collectorUrl: /^Collector:\s+(\S+)/m.exec(output)![1]!,
    uiUrl: /^UI:\s+(\S+)/m.exec(output)![1]!,
    process: child,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode)
        child.once('exit', (code) => resolve(code))
        child.kill(signal)
      }),
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
}

/** A loopback port that was free a moment ago, for a server that must come back on it. */
export async function findFreePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Serves `e2e/fixtures` on its own port, as a customer's site would be, with `{{COLLECTOR}}`
 * in pages replaced by the collector's address. `headers` adds response headers to the
 * pages named, e.g. `{ 'csp.html': { 'Content-Security-Policy': "connect-src 'self'" } }`.
 */
export async function serveSite(
  collectorUrl: string,
  headers: Record<string, Record<string, string>> = {},
): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1) || 'index.html'
    const file = join(import.meta.dirname, 'fixtures', name)
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end()
      return
    }
    // Images go out byte for byte; only pages and scripts name the collector.
    const body = file.endsWith('.png')
      ? readFileSync(file)
      : readFileSync(file, 'utf8').replaceAll('{{COLLECTOR}}', collectorUrl)
    res
      .writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'text/plain', ...headers[name] })
      .end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  }
}

// CHROMIUM_PATH is the tests' older name for REPLAYDESK_CHROMIUM; the commands they run
// (export --video) read only the latter.
if (process.env.CHROMIUM_PATH && !process.env.REPLAYDESK_CHROMIUM) {
  process.env.REPLAYDESK_CHROMIUM = process.env.CHROMIUM_PATH
}

/** The Chromium `export --video` would use, with the flags a closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium('The end-to-end test harness'),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Polls `check` until it returns a value, failing with `what` after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Replays events with rrweb in Chromium and returns the text the replay ends on. */
export async function replayToEnd(events: unknown[]): Promise<string> {
  const require = createRequire(import.meta.url)
  const bundle = join(dirname(require.resolve('@rrweb/replay')), 'replay.umd.min.cjs')
  const replayer = readFileSync(bundle, 'utf8')
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    await page.setContent('<div id="root"></div>')
    await page.addScriptTag({ content: replayer })
    return await page.evaluate((recorded) => {
      const { Replayer } = (window as unknown as { rrwebReplay: typeof import('@rrweb/replay') })
        .rrwebReplay
      const r = new Replayer(recorded as never, { root: document.getElementById('root')! })
      r.pause(r.getMetaData().totalTime + 1)
      return r.iframe.contentDocument?.body.textContent ?? ''
    }, events)
  } finally {
    await browser.close()
  }
}

/** One stored batch's address, read straight from the store's SQLite file. */
export interface StoredChunk {
  session: string
  tab: string
  page: string
  seq: number
}

/** Every stored batch address, read-only, so the running collector is not disturbed. */
export function readChunks(dataDir: string): StoredChunk[] {
  const db = new Database(join(dataDir, 'replaydesk.db'), { readonly: true, fileMustExist: true })
  try {
    return db
      .prepare(
        `SELECT session_id AS session, tab_id AS tab, page_id AS page, seq FROM chunks
         ORDER BY session_id, tab_id, page_id, seq`,
      )
      .all() as StoredChunk[]
  } finally {
    db.close()
  }
}

/** The rrweb events `replaydesk events` prints for a session, page by page. */
export function readEvents(
  dataDir: string,
  sessionId: string,
): { text: string; events: unknown[] } {
  const result = cli(['events', '--data', dataDir, sessionId])
  if (result.status !== 0) throw new Error(`replaydesk events: ${result.stderr}`)
  return { text: result.stdout, events: JSON.parse(result.stdout) as unknown[] }
}

/** A batch as the browser posted it, whether or not the collector was there to take it. */
export interface PostedBatch {
  sid: string
  tab: string
  page: string
  seq: number
  /** Sent with navigator.sendBeacon rather than fetch. */
  beacon: boolean
  /** The size of the request body as sent (gzipped). */
  bytes: number
  body: string
}

/** Collects every batch the pages of `context` post to a collector, decoded. */
export function watchBatches(context: BrowserContext): PostedBatch[] {
  const posted: PostedBatch[] = []
  context.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().endsWith('/ingest')) return
    const raw = request.postDataBuffer()
    if (raw) posted.push(decodeBatch(raw, request.resourceType() === 'ping'))
  })
  return posted
}

function decodeBatch(raw: Buffer, beacon: boolean): PostedBatch {
  const body = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8')
  const { sid, tab, page, seq } = JSON.parse(body) as PostedBatch
  return { sid, tab, page, seq, beacon, bytes: raw.length, body }
}

/**
 * A loopback proxy in front of the collector that notes every batch passing through. It
 * sees what a closing page sends, which Playwright no longer reports; a beacon is told
 * from a fetch by its `Sec-Fetch-Mode: no-cors` (the snippet's fetches use `cors`).
 */
export async function serveRecordingProxy(
  collectorUrl: string,
  /** Batches to answer 422 for, as a collector that cannot take them would. */
  refuse: (batch: PostedBatch) => boolean = () => false,
): Promise<{ url: string; posted: PostedBatch[]; close(): void }> {
  const target = new URL(collectorUrl)
  const posted: PostedBatch[] = []
  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      const raw = Buffer.concat(parts)
      if (req.method === 'POST' && req.url?.endsWith('/ingest')) {
        const batch = decodeBatch(raw, req.headers['sec-fetch-mode'] === 'no-cors')
        posted.push(batch)
        if (refuse(batch)) {
          res.writeHead(422, { 'Access-Control-Allow-Origin': '*' }).end('refused by the test')
          return
        }
      }
      const forward = httpRequest(
        collectorUrl.replace(/\/$/, '') + (req.url ?? '/'),
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      forward.on('error', () => res.writeHead(502).end())
      forward.end(raw)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    posted,
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  }
}
