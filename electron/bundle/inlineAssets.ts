import type { PageEvents } from '../../shared/api'
import { isAssetUrl, mapCssUrls, rewriteAssetUrls } from '../../shared/assetUrls'
import type { Store } from '../store/Store'

/**
 * The most text inlined assets may add to one exported page. A data: URI is written out
 * wherever its URL appears, so an image in every full snapshot costs that many copies.
 */
export const INLINE_BUDGET_BYTES = 50 * 1024 * 1024

/** Stylesheets named by stylesheets are inlined this many levels deep, as they are fetched. */
const MAX_STYLESHEET_DEPTH = 2

export interface InlinedAssets {
  /** The events with each asset URL replaced by its cached content, or by '' without one. */
  pages: PageEvents[]
  /** Asset URLs whose content went into the page. */
  inlined: number
  /** Cached asset URLs left out because the page would have grown past the budget. */
  skipped: number
}

/**
 * Puts a session's cached assets into its events as data: URIs, so a page made of them
 * replays with images, fonts and stylesheets and no network. A URL with nothing cached
 * becomes '' and loads nothing, as in the app's own replays. Assets are taken in the order
 * the recording first uses them until the budget is spent; the rest are left out whole, so
 * a page never shows an image in one place and not in another.
 */
export function inlineAssets(
  store: Store,
  pages: PageEvents[],
  budget = INLINE_BUDGET_BYTES,
): InlinedAssets {
  const uses = new Map<string, number>()
  for (const page of pages) {
    rewriteAssetUrls(page.events, (url) => {
      uses.set(url, (uses.get(url) ?? 0) + 1)
      return url
    })
  }

  const encoder = new DataUriEncoder(store)
  const replacements = new Map<string, string>()
  let spent = 0
  let inlined = 0
  let skipped = 0
  for (const [url, count] of uses) {
    const uri = encoder.encode(url, 0)
    if (uri !== '' && spent + uri.length * count <= budget) {
      spent += uri.length * count
      inlined++
      encoder.keep(url, uri)
      replacements.set(url, uri)
    } else {
      if (uri !== '') skipped++
      replacements.set(url, '')
    }
  }

  return {
    pages: pages.map((page) => ({
      ...page,
      events: rewriteAssetUrls(page.events, (url) => replacements.get(url) ?? ''),
    })),
    inlined,
    skipped,
  }
}

/** Cached assets as data: URIs, stylesheets with their own `url()`s inlined in turn. */
class DataUriEncoder {
  /** Only the URIs that go into the page are kept: memory stays within the budget. */
  private readonly kept = new Map<string, string>()

  constructor(private readonly store: Store) {}

  encode(url: string, depth: number): string {
    const known = this.kept.get(url)
    if (known !== undefined) return known

    const hash = this.store.assetHashes([url]).get(url)
    const asset = hash === undefined ? undefined : this.store.getAsset(hash)
    if (!asset) return ''
    if (!asset.contentType.startsWith('text/css')) {
      return `data:${asset.contentType};base64,${asset.body.toString('base64')}`
    }

    // Cached stylesheets hold absolute URLs: the fetcher resolved them when it kept them.
    const css = mapCssUrls(asset.body.toString('utf8'), (nested) => {
      if (!isAssetUrl(nested)) return nested
      return depth < MAX_STYLESHEET_DEPTH ? this.encode(nested, depth + 1) : ''
    })
    return `data:text/css;base64,${Buffer.from(css, 'utf8').toString('base64')}`
  }

  keep(url: string, uri: string): void {
    this.kept.set(url, uri)
  }
}
