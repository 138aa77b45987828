import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { batchSchema } from '../../shared/batchSchema'
import { collectAssetUrls } from '../../shared/assetUrls'
import { makeBatch } from '../testing/makeBatch'
import { Store } from '../store/Store'
import { inlineAssets } from './inlineAssets'

const DOT = 'https://shop.example/dot.png'
const STYLE = 'https://shop.example/site.css'
const FONT = 'https://shop.example/font.woff2'
const GONE = 'https://shop.example/gone.png'
const PNG = Buffer.from('\x89PNG\r\n\x1a\n two pixels')

let dir: string
let store: Store

/** A full snapshot with an image, a stylesheet link and a styled div using an image. */
const snapshot = (t: number) => ({
  type: 2,
  timestamp: t,
  data: {
    node: {
      type: 0,
      id: 1,
      childNodes: [
        { type: 2, id: 2, tagName: 'img', attributes: { src: DOT }, childNodes: [] },
        {
          type: 2,
          id: 3,
          tagName: 'link',
          attributes: { rel: 'stylesheet', href: STYLE },
          childNodes: [],
        },
        { type: 2, id: 4, tagName: 'img', attributes: { src: GONE }, childNodes: [] },
      ],
    },
  },
})

const events = [snapshot(1), snapshot(2)]

function cache(url: string, contentType: string, body: Buffer): void {
  const hash = createHash('sha256').update(body).digest('hex')
  store.storeAsset(url, { hash, contentType, body })
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replaydesk-inline-'))
  store = Store.open(dir)
  const batch = makeBatch({ events })
  store.ingest(batchSchema.parse(batch), gzipSync(JSON.stringify(batch)))
  store.addAssetUrls('session-0001', collectAssetUrls(events))
  cache(DOT, 'image/png', PNG)
  cache(STYLE, 'text/css; charset=utf-8', Buffer.from(`@font-face{src:url("${FONT}")}`))
  store.addNestedAssetUrls(STYLE, [FONT])
  cache(FONT, 'font/woff2', Buffer.from('wOF2'))
})

afterEach(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The asset attributes of the first snapshot, in document order. */
function sources(pages: { events: unknown[] }[]): string[] {
  const first = pages[0]!.events[0] as ReturnType<typeof snapshot>
  return first.data.node.childNodes.map((n) => {
    const attributes = n.attributes as { src?: string; href?: string }
    return attributes.src ?? attributes.href!
  })
}

describe('inlineAssets', () => {
  it('puts cached assets in as data: URIs, a stylesheet’s own font included', () => {
    const result = inlineAssets(store, [{ page: 'p', events }])
    const [dot, style, gone] = sources(result.pages)

    expect(dot).toBe(`data:image/png;base64,${PNG.toString('base64')}`)
    const css = Buffer.from(style!.replace('data:text/css;base64,', ''), 'base64').toString()
    expect(css).toBe(`@font-face{src:url("data:font/woff2;base64,${btoa('wOF2')}")}`)
    expect(gone).toBe('')
    expect(result).toMatchObject({ inlined: 2, skipped: 0 })
  })

  it('leaves the recorded events as they were', () => {
    const before = JSON.stringify(events)
    inlineAssets(store, [{ page: 'p', events }])
    expect(JSON.stringify(events)).toBe(before)
  })

  it('leaves out whole the assets past the budget, counting every use', () => {
    const dotUri = `data:image/png;base64,${PNG.toString('base64')}`
    // Room for the image once but not at both of its uses: it is left out everywhere.
    const result = inlineAssets(store, [{ page: 'p', events }], dotUri.length * 1.5)

    expect(result.pages[0]!.events.map((e) => sources([{ events: [e] }])[0])).toEqual(['', ''])
    expect(result.skipped).toBe(2)
    expect(result.inlined).toBe(0)
  })
})
