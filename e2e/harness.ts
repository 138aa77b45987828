/**
 * Real parts for end-to-end tests: the built `replaydesk` command, a static site on its own
 * loopback port, and Debian's Chromium driven by Playwright.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'

const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin', 'replaydesk.js')

export function makeDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'replaydesk-e2e-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Runs `replaydesk ARGS` to completion. */
export function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
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

/** Starts `replaydesk serve` (on a free port unless given one) and waits for its addresses. */
export async function serve(dataDir: string, port = 0, args: string[] = []): Promise<Serving> {
  const child = spawn(process.execPath, [
    bin,
    'serve',
    '--port',
    String(port),
    '--data',
    dataDir,
    ...args,
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

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8' }

/**
 * Serves `e2e/fixtures` on its own port, as a customer's site would be, with `{{COLLECTOR}}`
 * in pages replaced by the collector's address.
 */
export async function serveSite(collectorUrl: string): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1) || 'index.html'
    const file = join(import.meta.dirname, 'fixtures', name)
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end()
      return
    }
    const body = readFileSync(file, 'utf8').replaceAll('{{COLLECTOR}}', collectorUrl)
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'text/plain' }).end(body)
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

/** Debian's Chromium when installed, with the flags a closed network needs. */
export function launchChromium(): Promise<Browser> {
  const system = '/usr/bin/chromium'
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? (existsSync(system) ? system : undefined),
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
