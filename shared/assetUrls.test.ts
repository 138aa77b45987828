import { describe, expect, it } from 'vitest'
import { collectAssetUrls, rewriteAssetUrls } from './assetUrls'

const A = 'https://a.example'

/** A full snapshot of a page using each kind of asset rrweb records. */
const snapshot = {
  type: 2,
  timestamp: 1,
  data: {
    node: {
      type: 0,
      id: 1,
      childNodes: [
        {
          type: 2,
          id: 2,
          tagName: 'link',
          attributes: { rel: 'stylesheet', href: `${A}/site.css` },
          childNodes: [],
        },
        { type: 2, id: 3, tagName: 'link', attributes: { rel: 'canonical', href: `${A}/` } },
        {
          type: 2,
          id: 4,
          tagName: 'style',
          attributes: {},
          childNodes: [
            {
              type: 3,
              id: 5,
              isStyle: true,
              textContent: `@font-face { src: url("${A}/f.woff2") format("woff2") }`,
            },
          ],
        },
        {
          type: 2,
          id: 6,
          tagName: 'img',
          attributes: {
            src: `${A}/logo.png`,
            srcset: `${A}/logo.png 1x, ${A}/logo@2x.png 2x`,
            style: `background: url('${A}/bg.jpg')`,
          },
          childNodes: [],
        },
        {
          type: 2,
          id: 7,
          tagName: 'video',
          attributes: { src: `${A}/v.mp4`, poster: `${A}/p.jpg` },
        },
        { type: 2, id: 8, tagName: 'iframe', attributes: { src: `${A}/frame.html` } },
        { type: 2, id: 9, tagName: 'img', attributes: { src: 'data:image/png;base64,AAAA' } },
      ],
    },
  },
}

const mutation = {
  type: 3,
  timestamp: 2,
  data: {
    source: 0,
    adds: [
      {
        parentId: 1,
        node: { type: 2, id: 10, tagName: 'img', attributes: { src: `${A}/added.png` } },
      },
    ],
    attributes: [
      { id: 6, attributes: { src: `${A}/changed.png` } },
      { id: 8, attributes: { src: `${A}/other-frame.html` } },
      { id: 6, attributes: { style: { 'background-image': `url(${A}/hover.png)` } } },
    ],
    texts: [],
    removes: [],
  },
}

const styleRule = {
  type: 3,
  timestamp: 3,
  data: { source: 8, id: 4, adds: [{ rule: `.x { background: url(${A}/rule.svg) }` }] },
}

describe('collectAssetUrls', () => {
  it('finds images, stylesheets, fonts and CSS urls in snapshots and mutations', () => {
    expect(collectAssetUrls([snapshot, mutation, styleRule])).toEqual([
      `${A}/site.css`,
      `${A}/f.woff2`,
      `${A}/logo.png`,
      `${A}/logo@2x.png`,
      `${A}/bg.jpg`,
      `${A}/p.jpg`,
      `${A}/added.png`,
      `${A}/changed.png`,
      `${A}/hover.png`,
      `${A}/rule.svg`,
    ])
  })

  it('ignores what is not an event without failing', () => {
    expect(collectAssetUrls([null, 3, 'x', { type: 2 }, { type: 3, data: { source: 0 } }])).toEqual(
      [],
    )
  })
})

describe('rewriteAssetUrls', () => {
  const local = (url: string) =>
    url.endsWith('.png') ? `http://127.0.0.1:1/cache/${url.length}` : ''

  it('points cached URLs at the local copy and empties the others', () => {
    const [full, change, rule] = rewriteAssetUrls([snapshot, mutation, styleRule], local) as [
      typeof snapshot,
      typeof mutation,
      typeof styleRule,
    ]
    const [link, , style, img, video, iframe] = full.data.node.childNodes as unknown as {
      attributes: Record<string, string>
      childNodes: { textContent: string }[]
    }[]

    expect(link!.attributes.href).toBe('')
    expect(style!.childNodes[0]!.textContent).toBe('@font-face { src: url("") format("woff2") }')
    expect(img!.attributes.src).toBe('http://127.0.0.1:1/cache/26')
    expect(img!.attributes.srcset).toBe(
      'http://127.0.0.1:1/cache/26 1x, http://127.0.0.1:1/cache/29 2x',
    )
    expect(img!.attributes.style).toBe('background: url("")')
    expect(video!.attributes).toEqual({ src: `${A}/v.mp4`, poster: '' })
    expect(iframe!.attributes.src).toBe(`${A}/frame.html`)
    expect(change.data.attributes[0]!.attributes.src).toBe('http://127.0.0.1:1/cache/29')
    expect(change.data.attributes[1]!.attributes.src).toBe(`${A}/other-frame.html`)
    expect(rule.data.adds[0]!.rule).toBe('.x { background: url("") }')
  })

  it('leaves the recorded events as they were', () => {
    const before = JSON.stringify([snapshot, mutation])
    rewriteAssetUrls([snapshot, mutation], () => '')
    expect(JSON.stringify([snapshot, mutation])).toBe(before)
  })

  it('returns the same objects when nothing changes', () => {
    const events = [snapshot, mutation, styleRule]
    const same = rewriteAssetUrls(events, (url) => url)
    expect(same.every((event, i) => event === events[i])).toBe(true)
  })
})

describe('CSS urls', () => {
  it('reads quoted, unquoted and escaped forms and @import strings', () => {
    const css = [
      `a { background: url( "${A}/a.png" ) }`,
      `b { background: url('${A}/b\\'s.png') }`,
      `c { background: url(${A}/c.png) }`,
      `@import "${A}/d.css";`,
      `e { background: url(data:image/png;base64,AAAA) }`,
    ].join('\n')
    const event = { type: 3, timestamp: 1, data: { source: 8, adds: [{ rule: css }] } }
    expect(collectAssetUrls([event])).toEqual([
      `${A}/a.png`,
      `${A}/b\\'s.png`,
      `${A}/c.png`,
      `${A}/d.css`,
    ])
  })
})
