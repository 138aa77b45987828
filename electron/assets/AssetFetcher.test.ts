import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import pino from 'pino'
import { Collector } from '../collector/Collector'
import { SessionIndex } from '../index/SessionIndex'
import { startServer, type RunningServer } from '../server/startServer'
import { ReplaydeskService } from '../service/ReplaydeskService'
import { Store } from '../store/Store'
import { makeBatch } from '../testing/makeBatch'
import { AssetFetcher } from './AssetFetcher'

const PNG = readFileSync(join(import.meta.dirname, 'fixtures', 'dot.png'))
const SVG = readFileSync(join(import.meta.dirname, 'fixtures', 'logo.svg'))
const FONT = Buffer.from('wOF2 not really a font, but bytes all the same')
const NESTED_FONT = Buffer.from('a font only the stylesheet names')
const STYLESHEET = [
  '@font-face { font-family: x; src: url(fonts/nested.woff2) format("woff2") }',
  'body { background: url("/dot.png") }',
  '.gone { background: url(http://127.0.0.1:1/gone.png) }',
  '.inline { background: url(data:image/gif;base64,R0lGOD) }',
].join('\n')
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

const dir = mkdtempSync(join(tmpdir(), 'replaydesk-assets-'))
let site: Server
let siteUrl: string
let store: Store
let fetcher: AssetFetcher
let collector: RunningServer
let service: ReplaydeskService

/** The recorded site, on its own loopback port: what the fetcher reaches out to. */
function serveFixtures(): Promise<Server> {
  const files: Record<string, [string, Buffer]> = {
    '/dot.png': ['image/png', PNG],
    '/same-dot.png': ['image/png', PNG],
    '/logo.svg': ['image/svg+xml', SVG],
    '/font.woff2': ['font/woff2', FONT],
    '/site.css': ['text/css', Buffer.from(STYLESHEET)],
    '/fonts/nested.woff2': ['font/woff2', NESTED_FONT],
    '/page.html': ['text/html', Buffer.from('<script>alert(1)</script>')],
    '/huge.png': ['image/png', Buffer.alloc(300_000)],
  }
  const server = createServer((req, res) => {
    if (req.url === '/slow.png') return // never answers: the time limit has to end it
    const file = files[req.url ?? '']
    if (!file) return void res.writeHead(404).end()
    res.writeHead(200, { 'Content-Type': file[0] }).end(file[1])
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

function get(
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const { port } = new URL(collector.collectorUrl)
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }),
      )
    })
      .on('error', reject)
      .end()
  })
}

function post(body: Buffer): Promise<number> {
  const { port } = new URL(collector.collectorUrl)
  return new Promise((resolve, reject) => {
    request(
      {
        host: '127.0.0.1',
        port,
        path: '/ingest',
        method: 'POST',
        headers: { host: `127.0.0.1:${port}` },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode!))
      },
    )
      .on('error', reject)
      .end(body)
  })
}

async function settled(urls: string[]): Promise<void> {
  const deadline = Date.now() + 10_000
  while (
    urls.some(
      (url) =>
        store.assetStatus(url)?.status !== 'ok' && store.assetStatus(url)?.status !== 'failed',
    )
  ) {
    if (Date.now() > deadline) throw new Error('assets did not settle')
    await new Promise((r) => setTimeout(r, 50))
  }
}

const img = (id: number, src: string) => ({
  type: 2,
  id,
  tagName: 'img',
  attributes: { src },
  childNodes: [],
})

beforeAll(async () => {
  site = await serveFixtures()
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`
  store = Store.open(dir)
  const index = new SessionIndex()
  const logger = pino({ level: 'silent' })
  fetcher = new AssetFetcher(store, logger, { maxBytes: 100_000, timeoutMs: 1_000, concurrency: 2 })
  collector = await startServer({
    port: 0,
    collector: new Collector({ store, index, snippetFile: join(dir, 'none.js'), assets: fetcher }),
    logger,
  })
  service = new ReplaydeskService(store, index, () => collector.collectorUrl)
})

afterAll(async () => {
  await collector.close()
  await fetcher.stop()
  store.close()
  site.closeAllConnections()
  site.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('offline assets', () => {
  const url = (name: string) => `${siteUrl}/${name}`
  const names = [
    'dot.png',
    'same-dot.png',
    'logo.svg',
    'site.css',
    'page.html',
    'huge.png',
    'missing.png',
    'slow.png',
  ]

  beforeAll(async () => {
    const node = {
      type: 0,
      id: 1,
      childNodes: [
        ...names.map((name, i) => img(i + 2, url(name))),
        {
          type: 2,
          id: 20,
          tagName: 'style',
          attributes: {},
          childNodes: [
            {
              type: 3,
              id: 21,
              isStyle: true,
              textContent: `@font-face { src: url(${url('font.woff2')}) }`,
            },
          ],
        },
      ],
    }
    const batch = makeBatch({
      sid: 'session-assets',
      events: [{ type: 2, timestamp: 1_764_000_000_000, data: { node } }],
    })
    expect(await post(gzipSync(JSON.stringify(batch)))).toBe(200)
    await settled([...names, 'font.woff2', 'fonts/nested.woff2'].map(url))
    await settled(['http://127.0.0.1:1/gone.png'])
  })

  it('caches images, fonts and CSS once per content', () => {
    expect(store.assetStatus(url('dot.png'))).toMatchObject({ status: 'ok', hash: sha256(PNG) })
    expect(store.assetStatus(url('same-dot.png'))!.hash).toBe(sha256(PNG))
    expect(store.assetStatus(url('font.woff2'))).toMatchObject({ status: 'ok', hash: sha256(FONT) })
    expect(store.assetStatus(url('site.css'))!.status).toBe('ok')
    expect(store.stats()).toMatchObject({ assets: 5, assetUrls: 11, assetFailures: 5 })
  })

  it('follows the fonts and images a stylesheet names and serves it pointing at them', async () => {
    expect(store.assetStatus(url('fonts/nested.woff2'))).toMatchObject({
      status: 'ok',
      hash: sha256(NESTED_FONT),
      depth: 1,
    })

    const css = await get(`/cache/${store.assetStatus(url('site.css'))!.hash}`)
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(css.body.toString()).toBe(
      [
        `@font-face { font-family: x; src: url("/cache/${sha256(NESTED_FONT)}") format("woff2") }`,
        `body { background: url("/cache/${sha256(PNG)}") }`,
        '.gone { background: url("") }',
        '.inline { background: url(data:image/gif;base64,R0lGOD) }',
      ].join('\n'),
    )
  })

  it('records why an asset was not cached', () => {
    expect(store.assetStatus(url('page.html'))).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/not an image/),
    })
    expect(store.assetStatus(url('huge.png'))).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/larger than/),
    })
    expect(store.assetStatus(url('missing.png'))).toMatchObject({
      status: 'failed',
      error: 'HTTP 404',
    })
    expect(store.assetStatus(url('slow.png'))).toMatchObject({
      status: 'failed',
      error: 'timed out',
    })
  })

  it('serves a cached asset by its hash, as data that cannot run script', async () => {
    const png = await get(`/cache/${sha256(PNG)}`)
    expect(png.status).toBe(200)
    expect(png.body.equals(PNG)).toBe(true)
    expect(png.headers).toMatchObject({
      'content-type': 'image/png',
      'x-content-type-options': 'nosniff',
    })
    expect(png.headers['access-control-allow-origin']).toBeUndefined()

    const svg = await get(`/cache/${sha256(SVG)}`)
    expect(svg.headers['content-type']).toBe('image/svg+xml')
    expect(svg.headers['content-security-policy']).toMatch(/default-src 'none'.*sandbox/)
    expect(svg.headers['content-disposition']).toBe('attachment')

    expect((await get(`/cache/${'0'.repeat(64)}`)).status).toBe(404)
    expect((await get('/cache/../replaydesk.db')).status).toBe(404)
  })

  it('gives the player events that load assets from the collector alone', async () => {
    const [page] = await service.getEvents('session-assets')
    const text = JSON.stringify(page!.events)
    expect(text).toContain(`${collector.collectorUrl}/cache/${sha256(PNG)}`)
    expect(text).toContain(`${collector.collectorUrl}/cache/${sha256(FONT)}`)
    expect(text).not.toContain(siteUrl)

    const recorded = JSON.stringify(store.getEvents('session-assets')[0]!.events)
    expect(recorded).toContain(url('dot.png'))
  })
})
