import { gzipSync } from 'node:zlib'
import type { TagValue } from '../../shared/api'
import { batchSchema } from '../../shared/batchSchema'
import { ERROR_EVENT_TAG, type BatchInput } from '../../shared/wire'
import type { Store } from '../store/Store'

/** One generated visit: what a page would have sent, before it is stored. */
export interface SessionSpec {
  id: string
  site: string
  identity: string | null
  startedAt: number
  pages: { url: string; title: string; durationMs: number }[]
  tags: Record<string, TagValue>
  stringTags: string[]
  userAgent: string
  errors: string[]
}

const PLANS = ['free', 'free', 'free', 'pro', 'pro', 'enterprise']
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA', 'ES', 'NL']
const ROLES = ['admin', 'member', 'viewer', 'owner']
const VARIANTS = ['a', 'b', 'control']
const STRING_TAGS = ['viewed checkout', 'newsletter', 'returning visitor', 'coupon applied']
const PATHS = ['/', '/pricing', '/checkout', '/cart', '/account', '/docs/getting-started']
const TITLES = ['Home', 'Pricing', 'Checkout', 'Your cart', 'Account settings', 'Getting started']
const ERRORS = ['TypeError: x is undefined', 'Quota exceeded', 'NetworkError when fetching']
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
]
const FIRST_NAMES = ['john', 'ann', 'li', 'maria', 'omar', 'yuki', 'sven', 'ada', 'raj', 'zoe']
const START = Date.UTC(2026, 0, 1)
const YEAR_MS = 365 * 24 * 3600 * 1000

/** A small seeded generator, so a failing property test can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Sessions with about ten realistic tags each: emails, ids, plans, countries, booleans,
 * numbers, dates and string tags. `country:US` holds about 20% of sessions (a broad tag);
 * each email belongs to one session (a selective one). With `oddities`, values also take the
 * awkward shapes a query must still get right: numeric strings, keys in other cases, a tag
 * key named like a field.
 */
export function generateSessions(count: number, seed = 1, oddities = false): SessionSpec[] {
  const random = seededRandom(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const specs: SessionSpec[] = []

  for (let n = 0; n < count; n++) {
    const name = `${pick(FIRST_NAMES)}${n}`
    const email = `${name}@example.com`
    const pageCount = 1 + Math.floor(random() * random() * 6)
    const pages = Array.from({ length: pageCount }, () => {
      const at = Math.floor(random() * PATHS.length)
      return {
        url: `https://shop.example${PATHS[at]}`,
        title: TITLES[at]!,
        durationMs: Math.floor(random() * 240_000),
      }
    })
    const tags: Record<string, TagValue> = {
      email,
      userId: 1000 + n,
      plan: pick(PLANS),
      country: random() < 0.2 ? 'US' : pick(COUNTRIES.slice(1)),
      converted: random() < 0.3,
      pointsEarned: Math.floor(random() * 100),
      signupDate: new Date(START - Math.floor(random() * YEAR_MS)).toISOString().slice(0, 10),
      role: pick(ROLES),
      abVariant: pick(VARIANTS),
    }
    if (oddities) {
      if (random() < 0.3) tags.pointsEarned = String(tags.pointsEarned)
      if (random() < 0.2) tags.url = pick(['home', 'checkout', 'HOME'])
      if (random() < 0.2) tags.Plan = pick(PLANS)
      if (random() < 0.1) delete tags.plan
    }
    const stringTags = STRING_TAGS.filter(() => random() < 0.25)

    specs.push({
      id: `s${String(n).padStart(7, '0')}`,
      site: random() < 0.8 ? '1234' : '5678',
      identity: random() < 0.7 ? email : null,
      startedAt: START + Math.floor(random() * 30 * 24 * 3600 * 1000),
      pages,
      tags,
      stringTags,
      userAgent: pick(AGENTS),
      errors: random() < 0.1 ? [pick(ERRORS)] : [],
    })
  }
  return specs
}

const EMPTY_BODY = gzipSync('{}')

/** Stores sessions the way the collector does: one batch per page through Store.ingest. */
export function ingestSessions(store: Store, specs: SessionSpec[]): void {
  for (const spec of specs) {
    let t = spec.startedAt
    spec.pages.forEach((page, i) => {
      const commands: BatchInput['commands'] = []
      if (i === 0) {
        commands.push({ op: 'wid', t, value: spec.site })
        if (spec.identity) commands.push({ op: 'identify', t, value: spec.identity })
        commands.push({ op: 'tag', t, value: spec.tags })
        for (const tag of spec.stringTags) commands.push({ op: 'tag', t, value: tag })
      }
      const events: BatchInput['events'] = [
        { type: 4, timestamp: t, data: { href: page.url, width: 1280, height: 720 } },
        { type: 2, timestamp: t + 1, data: { node: { id: 1 }, initialOffset: {} } },
        ...(i === 0
          ? spec.errors.map((message) => ({
              type: 5,
              timestamp: t + 2,
              data: { tag: ERROR_EVENT_TAG, payload: { message, source: 'error' } },
            }))
          : []),
        { type: 3, timestamp: t + page.durationMs, data: { source: 2 } },
      ]
      const batch = batchSchema.parse({
        v: 1,
        sid: spec.id,
        tab: 'tab-000001',
        page: `page-${String(i).padStart(6, '0')}`,
        seq: 0,
        meta: {
          url: page.url,
          title: page.title,
          referrer: '',
          viewport: { width: 1280, height: 720 },
          screen: { width: 1920, height: 1080 },
          language: 'en',
          timeZone: 'UTC',
          userAgent: spec.userAgent,
        },
        commands,
        events,
      } satisfies BatchInput)
      store.ingest(batch, EMPTY_BODY)
      t += page.durationMs + 1000
    })
  }
}
