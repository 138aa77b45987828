import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SessionSummary } from '../../shared/api'
import { matchesSession } from '../../shared/matchSession'
import { parseQuery } from '../../shared/query'
import { formatTagValue } from '../../shared/tags'
import { Store } from '../store/Store'
import { generateSessions, ingestSessions, seededRandom } from '../testing/generateSessions'
import { buildIndex } from './buildIndex'
import { SessionIndex } from './SessionIndex'

const SEED = 20261203
const QUERIES = 600

/**
 * The index's maps, value sets and sorted columns must answer every structured query exactly
 * as a plain scan of the store does, term by term as `matchesSession` defines them. Queries
 * are generated at random (seeded, so a failure replays) from the whole language: tags and
 * comparisons, string tags, has:, fields, ranges, OR, groups and negation.
 */
describe('SessionIndex against a scan of the store', () => {
  let dir: string
  let store: Store
  let index: SessionIndex

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'replaydesk-property-'))
    store = Store.open(dir)
    ingestSessions(store, generateSessions(400, SEED, true))
    index = new SessionIndex()
    // A small chunk makes the build cross many chunk boundaries.
    await buildIndex(store, index, 37).done
  })

  afterAll(() => {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A scan of what the store holds now: read once per test, the store is large. */
  const scanner = (): ((query: string) => string[]) => {
    const summaries = store.listSummaries()
    return (query) => scan(summaries, query)
  }
  const scan = (summaries: SessionSummary[], query: string): string[] => {
    const { root } = parseQuery(query)
    const noText = (): boolean => {
      throw new Error('generated queries hold no bare words')
    }
    return summaries.filter((s) => matchesSession(s, root, noText)).map((s) => s.id)
  }

  it('indexes every stored session', () => {
    expect(index.size).toBe(400)
  })

  it('answers generated queries exactly as the scan does', () => {
    const random = seededRandom(SEED)
    const queries = Array.from({ length: QUERIES }, () => generateQuery(random, 3))
    const scan = scanner()
    let nonEmpty = 0
    for (const query of queries) {
      const expected = scan(query)
      expect(
        index.search(query).map((s) => s.id),
        query,
      ).toEqual(expected)
      if (expected.length > 0 && expected.length < 400) nonEmpty++
    }
    // The generated set must exercise the index, not agree on empty answers.
    expect(nonEmpty).toBeGreaterThan(QUERIES / 3)
  })

  it('still agrees as the collector adds sessions and updates others', () => {
    const agree = (seed: number): void => {
      const random = seededRandom(seed)
      const scan = scanner()
      for (let n = 0; n < QUERIES / 4; n++) {
        const query = generateQuery(random, 3)
        expect(
          index.search(query).map((s) => s.id),
          query,
        ).toEqual(scan(query))
      }
    }
    const added = generateSessions(40, SEED + 4, true).map((spec, n) => ({
      ...spec,
      id: `new${String(n).padStart(6, '0')}`,
    }))
    ingestSessions(store, added)
    for (const spec of added) index.upsert(store.getSummary(spec.id)!)
    agree(SEED + 2)

    const changed = generateSessions(60, SEED + 1, true).map((spec, n) => ({
      ...spec,
      id: `s${String(n * 5).padStart(7, '0')}`,
      startedAt: spec.startedAt + 1,
    }))
    ingestSessions(store, changed)
    for (const spec of changed) index.upsert(store.getSummary(spec.id)!)
    agree(SEED + 5)
  })

  it('gives any page of any order as a slice of the whole list', () => {
    const random = seededRandom(SEED + 3)
    const sorts = ['newest', 'oldest', 'longest', 'pages', 'relevance'] as const
    for (let n = 0; n < 200; n++) {
      const query = random() < 0.2 ? 'checkout' : generateQuery(random, 2)
      const sort = sorts[Math.floor(random() * sorts.length)]!
      const offset = Math.floor(random() * 40)
      const limit = 1 + Math.floor(random() * 30)
      const whole = index.search(query, sort)
      const page = index.page(query, sort, offset, limit)
      expect(page.total, query).toBe(whole.length)
      expect(
        page.sessions.map((s) => s.id),
        `${query} ${sort} ${offset}+${limit}`,
      ).toEqual(whole.slice(offset, offset + limit).map((s) => s.id))
    }
  })

  it('counts facets as the results hold them', () => {
    const random = seededRandom(SEED + 6)
    for (let n = 0; n < 40; n++) {
      const query = n === 0 ? '' : generateQuery(random, 2)
      const results = index.search(query)
      for (const facet of index.facets(query)) {
        const valuesOf = (s: SessionSummary): string[] =>
          facet.key === 'tag'
            ? s.stringTags.map((t) => t.toLowerCase())
            : Object.entries(s.tags)
                .filter(([k]) => k.toLowerCase() === facet.key.toLowerCase())
                .map(([, v]) => formatTagValue(v).toLowerCase())
        const holding = results.filter((s) => valuesOf(s).length > 0)
        expect(facet.count, `${query} ${facet.key}`).toBe(holding.length)
        for (const { value, count } of facet.values) {
          const expected = holding.filter((s) => valuesOf(s).includes(value.toLowerCase()))
          expect(count, `${query} ${facet.key}:${value}`).toBe(expected.length)
        }
      }
    }
  })

  it('finds by a bare word every session holding it as a whole word', () => {
    const words = [
      'checkout',
      'pricing',
      'enterprise',
      'newsletter',
      'quota',
      'firefox',
      'pointsearned',
      'url',
    ]
    const summaries = store.listSummaries()
    for (const word of words) {
      const found = new Set(index.search(word).map((s) => s.id))
      const holding = summaries.filter((s) => splitWords(s).includes(word))
      expect(holding.length, word).toBeGreaterThan(0)
      for (const s of holding) expect(found.has(s.id), `${word} in ${s.id}`).toBe(true)
    }
  })
})

function splitWords(s: SessionSummary): string[] {
  const texts = [
    ...Object.entries(s.tags).flatMap(([k, v]) => [k, formatTagValue(v)]),
    ...s.stringTags,
    s.identity ?? '',
    ...s.urls,
    ...s.errors,
    s.browser ?? '',
  ]
  return texts
    .join(' ')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
}

type Random = () => number

function generateQuery(random: Random, depth: number): string {
  const roll = random()
  if (depth === 0 || roll < 0.45) return generateTerm(random)
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!
  const count = 2 + Math.floor(random() * 2)
  const parts = Array.from({ length: count }, () => generateQuery(random, depth - 1))
  if (roll < 0.7) return parts.map((p) => (p.includes(' OR ') ? `(${p})` : p)).join(' ')
  if (roll < 0.9) return parts.map((p) => `(${p})`).join(' OR ')
  return `-(${pick(parts)})`
}

function generateTerm(random: Random): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const op = (): string => pick(['', '>', '>=', '<', '<='])
  const negate = random() < 0.2 ? '-' : ''
  const date = (): string =>
    new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 30) * 86_400_000)
      .toISOString()
      .slice(0, 10)

  const terms = [
    () => `plan:${pick(['free', 'PRO', 'enterprise', 'gold'])}`,
    () => `Plan:${pick(['free', 'pro'])}`,
    () => `country:${pick(['US', 'us', 'DE', 'JP'])}`,
    () => `role:${pick(['admin', 'viewer'])}`,
    () => `converted:${pick(['true', 'false', 'TRUE'])}`,
    () => `userId:${op()}${1000 + Math.floor(random() * 420)}`,
    () => `pointsEarned:${op()}${Math.floor(random() * 100)}`,
    () => `signupDate:${op() || '>'}${pick(['2025-03-01', '2025-09-15', '2025-12-31'])}`,
    () => `#url:${pick(['home', 'checkout', 'Home'])}`,
    () => `tag:"${pick(['viewed checkout', 'Newsletter', 'coupon applied', 'viewed'])}"`,
    () => `has:${pick(['url', 'plan', 'Plan', 'email', 'nothing'])}`,
    () => `site:${pick(['1234', '5678', '12'])}`,
    () => `url:${pick(['/checkout', '/docs', 'SHOP', '/nowhere'])}`,
    () => `browser:${pick(['chrome', '"Firefox 140"', 'safari'])}`,
    () => `os:${pick(['linux', 'windows', 'ios'])}`,
    () => `device:${pick(['mobile', 'desktop'])}`,
    () => `error:${pick(['TypeError', 'quota', 'missing'])}`,
    () => `identity:${pick(['john', 'ada1', '@example'])}`,
    () => `after:${date()}`,
    () => `before:${date()}`,
    () => `duration:${op()}${pick(['30s', '2m', '5m', '1h'])}`,
    () => `pages:${op()}${1 + Math.floor(random() * 5)}`,
  ]
  return negate + pick(terms)()
}
