/**
 * The asset URLs of recorded rrweb events: images, stylesheets, fonts and CSS `url()`s that
 * a replay would otherwise fetch from the recorded site. One walker serves both ends: the
 * collector lists the URLs at ingest to fetch them, and the service rewrites them at replay
 * to the local copies, so what is fetched and what is rewritten can never disagree.
 *
 * rrweb records these as absolute URLs (it resolves them against the page), so only
 * absolute `http:` and `https:` URLs are assets; `data:` and `blob:` are left alone.
 */
import { EventType } from './wire'

/**
 * Where the collector serves a cached asset: `ASSET_PATH` + the SHA-256 of its content, in
 * hex. The hash is the only name an asset has, so the path needs no token. (`/assets/` is
 * taken: the UI's own built files live there in headless mode.)
 */
export const ASSET_PATH = '/cache/'

/**
 * Given an asset URL, the URL to put in its place. Return the same string to keep it;
 * return '' to remove it (an empty URL makes the browser fetch nothing).
 */
export type AssetUrlMapper = (url: string) => string

/** rrweb's IncrementalSource values the walker reads. */
const Source = {
  Mutation: 0,
  StyleSheetRule: 8,
  Font: 10,
  StyleDeclaration: 13,
  AdoptedStyleSheet: 15,
} as const

/** rrweb's serialized node types. */
const NodeType = { Element: 2, Text: 3 } as const

/** Elements whose `src` is the element's own content, not an asset a replay should show. */
const NOT_ASSET_SOURCES = new Set(['script', 'iframe', 'frame', 'video', 'audio', 'embed'])

/** Every distinct asset URL in the events, in the order first seen. */
export function collectAssetUrls(events: readonly unknown[]): string[] {
  const urls = new Set<string>()
  new AssetWalker((url) => {
    urls.add(url)
    return url
  }).walkEvents(events)
  return [...urls]
}

/**
 * The events with every asset URL replaced by `map(url)`. Events and nodes that hold none
 * are returned as they are; those that change are copied, so the input is never modified.
 */
export function rewriteAssetUrls(events: readonly unknown[], map: AssetUrlMapper): unknown[] {
  return new AssetWalker(map).walkEvents(events)
}

/** Whether a string is a URL the walker treats as an asset. */
export function isAssetUrl(url: string): boolean {
  return /^https?:\/\/[^\s/?#]/i.test(url) && url.length <= 4096
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Walks events in order and remembers each node's tag and `rel` by id, because an attribute
 * change names only the node's id: `src` on an `<img>` is an asset, on an `<iframe>` not.
 */
class AssetWalker {
  private readonly elements = new Map<number, { tag: string; rel: string }>()

  constructor(private readonly map: AssetUrlMapper) {}

  walkEvents(events: readonly unknown[]): unknown[] {
    return events.map((event) => this.walkEvent(event))
  }

  private walkEvent(event: unknown): unknown {
    if (!isObject(event) || !isObject(event.data)) return event
    const data = event.data

    let walked: Json = data
    if (event.type === EventType.FullSnapshot) {
      walked = this.withField(data, 'node', this.walkNode(data.node))
    } else if (event.type === EventType.IncrementalSnapshot) {
      walked = this.walkIncremental(data)
    }
    return walked === data ? event : { ...event, data: walked }
  }

  private walkIncremental(data: Json): Json {
    switch (data.source) {
      case Source.Mutation:
        return this.walkMutation(data)
      case Source.StyleSheetRule:
        return this.withField(data, 'adds', this.walkRules(data.adds))
      case Source.StyleDeclaration: {
        if (!isObject(data.set)) return data
        const value = this.walkCss(data.set.value)
        return this.withField(data, 'set', this.withField(data.set, 'value', value))
      }
      case Source.Font:
        return this.withField(data, 'fontSource', this.walkCss(data.fontSource))
      case Source.AdoptedStyleSheet:
        return this.withField(
          data,
          'styles',
          this.mapArray(data.styles, (style) =>
            isObject(style) ? this.withField(style, 'rules', this.walkRules(style.rules)) : style,
          ),
        )
      default:
        return data
    }
  }

  private walkMutation(data: Json): Json {
    const adds = this.mapArray(data.adds, (add) =>
      isObject(add) ? this.withField(add, 'node', this.walkNode(add.node)) : add,
    )
    const attributes = this.mapArray(data.attributes, (change) => {
      if (!isObject(change) || !isObject(change.attributes)) return change
      const known = typeof change.id === 'number' ? this.elements.get(change.id) : undefined
      const element = known ?? { tag: '', rel: '' }
      if (typeof change.attributes.rel === 'string') element.rel = change.attributes.rel
      const walked = this.walkAttributes(element.tag, element.rel, change.attributes)
      return this.withField(change, 'attributes', walked)
    })
    return this.withField(this.withField(data, 'adds', adds), 'attributes', attributes)
  }

  private walkRules(rules: unknown): unknown {
    return this.mapArray(rules, (rule) =>
      isObject(rule) ? this.withField(rule, 'rule', this.walkCss(rule.rule)) : rule,
    )
  }

  /**
   * A serialized node and its subtree. Recursion is bounded: the collector refuses JSON
   * nested deeper than `LIMITS.maxJsonDepth`, so a stored tree is at most half that deep.
   */
  private walkNode(node: unknown): unknown {
    if (!isObject(node)) return node
    let result = node

    if (node.type === NodeType.Text && node.isStyle === true) {
      result = this.withField(node, 'textContent', this.walkCss(node.textContent))
    } else if (node.type === NodeType.Element && isObject(node.attributes)) {
      const tag = typeof node.tagName === 'string' ? node.tagName.toLowerCase() : ''
      const rel = typeof node.attributes.rel === 'string' ? node.attributes.rel : ''
      if (typeof node.id === 'number') this.elements.set(node.id, { tag, rel })
      result = this.withField(node, 'attributes', this.walkAttributes(tag, rel, node.attributes))
    }

    const children = this.mapArray(node.childNodes, (child) => this.walkNode(child))
    return this.withField(result, 'childNodes', children)
  }

  private walkAttributes(tag: string, rel: string, attributes: Json): Json {
    let result = attributes
    for (const [name, value] of Object.entries(attributes)) {
      const walked = this.walkAttribute(tag, rel, name.toLowerCase(), value)
      if (walked !== value) {
        if (result === attributes) result = { ...attributes }
        result[name] = walked
      }
    }
    return result
  }

  private walkAttribute(tag: string, rel: string, name: string, value: unknown): unknown {
    if (name === 'style' && isObject(value)) return this.walkStyleObject(value)
    if (typeof value !== 'string') return value

    switch (name) {
      case 'style':
      case '_csstext':
        return this.walkCss(value)
      case 'srcset':
        return this.walkSrcset(value)
      case 'poster':
        return this.walkUrl(value)
      case 'src':
        return NOT_ASSET_SOURCES.has(tag) ? value : this.walkUrl(value)
      case 'href':
      case 'xlink:href': {
        const stylesheet = tag === 'link' && /(^|\s)stylesheet(\s|$)/i.test(rel)
        return stylesheet || tag === 'image' ? this.walkUrl(value) : value
      }
      default:
        return value
    }
  }

  /** rrweb records style attribute changes as `{ property: value | [value, priority] }`. */
  private walkStyleObject(style: Json): Json {
    let result = style
    for (const [property, value] of Object.entries(style)) {
      let walked: unknown = value
      if (typeof value === 'string') walked = this.walkCss(value)
      else if (Array.isArray(value) && typeof value[0] === 'string') {
        const css = this.walkCss(value[0])
        if (css !== value[0]) walked = [css, ...value.slice(1)]
      }
      if (walked !== value) {
        if (result === style) result = { ...style }
        result[property] = walked
      }
    }
    return result
  }

  private walkUrl(value: string): string {
    const url = value.trim()
    return isAssetUrl(url) ? this.map(url) : value
  }

  /** `src1 1x, src2 2x`: each candidate mapped; a removed one is dropped from the list. */
  private walkSrcset(value: string): string {
    let changed = false
    const candidates = value.split(/,(?=\s|$)|,(?=https?:)/i).flatMap((candidate) => {
      const [url = '', ...descriptor] = candidate.trim().split(/\s+/)
      if (!isAssetUrl(url)) return candidate.trim() === '' ? [] : [candidate.trim()]
      const mapped = this.map(url)
      if (mapped !== url) changed = true
      return mapped === '' ? [] : [[mapped, ...descriptor].join(' ')]
    })
    return changed ? candidates.join(', ') : value
  }

  private walkCss(css: unknown): unknown {
    if (typeof css !== 'string') return css
    return mapCssUrls(css, (url) => (isAssetUrl(url) ? this.map(url) : url))
  }

  private mapArray(value: unknown, walk: (item: unknown) => unknown): unknown {
    if (!Array.isArray(value)) return value
    const walked = value.map(walk)
    return walked.some((item, i) => item !== value[i]) ? walked : value
  }

  private withField(object: Json, field: string, value: unknown): Json {
    return object[field] === value ? object : { ...object, [field]: value }
  }
}

/**
 * Every `url(…)` in CSS text, quoted or not, and `@import "…"`, passed to `map` as written
 * (possibly relative) and replaced by what it returns. Escapes inside a quoted URL are kept
 * as written: rrweb and browsers write resolved URLs, which need none.
 */
export function mapCssUrls(css: string, map: (url: string) => string): string {
  if (!/url\(|@import/i.test(css)) return css
  return css.replace(CSS_URL, (match: string, ...groups: (string | undefined)[]) => {
    const url = (groups[0] ?? groups[1] ?? groups[2] ?? groups[3] ?? groups[4] ?? '').trim()
    const mapped = map(url)
    if (mapped === url) return match
    return match.startsWith('@') ? `@import ${cssUrl(mapped)}` : cssUrl(mapped)
  })
}

/** A CSS string in double or single quotes, escapes included, captured without quotes. */
const QUOTED = String.raw`"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'`
const CSS_URL = new RegExp(
  String.raw`url\(\s*(?:${QUOTED}|([^)'"\s]*))\s*\)|@import\s+(?:${QUOTED})`,
  'gi',
)

function cssUrl(url: string): string {
  return `url(${JSON.stringify(url)})`
}
