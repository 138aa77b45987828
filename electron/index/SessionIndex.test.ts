import { describe, expect, it } from 'vitest'
import type { SessionSummary, SortOrder } from '../../shared/api'
import { QuerySyntaxError } from '../../shared/query'
import { SessionIndex } from './SessionIndex'

function session(id: string, startedAt: string, extra: Partial<SessionSummary>): SessionSummary {
  return {
    id,
    site: null,
    identity: null,
    tags: {},
    stringTags: [],
    startedAt,
    endedAt: startedAt,
    durationMs: 0,
    pages: 1,
    events: 2,
    urls: [],
    browser: null,
    os: null,
    device: null,
    errors: [],
    ...extra,
  }
}

function indexOf(...sessions: SessionSummary[]): SessionIndex {
  const index = new SessionIndex()
  sessions.forEach((s) => index.upsert(s))
  return index
}

const john = session('john', '2026-12-01T10:00:00.000Z', {
  identity: 'john@example.com',
  tags: { email: 'john@example.com', userId: 1258, converted: true, plan: 'pro' },
  stringTags: ['viewed checkout'],
  urls: ['https://shop.example/checkout'],
})
const ann = session('ann', '2026-12-02T10:00:00.000Z', {
  identity: 'ann@example.com',
  tags: { email: 'ann@example.com', userId: 99, converted: false, plan: 'free' },
  stringTags: ['viewed pricing'],
  urls: ['https://shop.example/pricing'],
})
const ids = (index: SessionIndex, q: string) => index.search(q).map((s) => s.id)

describe('SessionIndex', () => {
  const index = indexOf(john, ann)

  it('answers an empty query with every session, newest first', () => {
    expect(ids(index, '')).toEqual(['ann', 'john'])
  })

  it('matches key:value exactly, strings without regard to case', () => {
    expect(ids(index, 'email:JOHN@example.com')).toEqual(['john'])
    expect(ids(index, 'email:john@example')).toEqual([])
    expect(ids(index, 'Plan:pro')).toEqual(['john'])
  })

  it('matches numbers and booleans by their written form', () => {
    expect(ids(index, 'userId:1258')).toEqual(['john'])
    expect(ids(index, 'converted:false')).toEqual(['ann'])
  })

  it('matches string tags exactly with tag:', () => {
    expect(ids(index, 'tag:"viewed checkout"')).toEqual(['john'])
    expect(ids(index, 'tag:viewed')).toEqual([])
  })

  it('finds bare words in tags, identity and URLs, by prefix and despite a typo', () => {
    expect(ids(index, 'pricing')).toEqual(['ann'])
    expect(ids(index, 'check')).toEqual(['john'])
    expect(ids(index, 'chekout')).toEqual(['john'])
    expect(ids(index, 'example')).toEqual(['ann', 'john'])
  })

  it('ANDs terms and removes negated ones', () => {
    expect(ids(index, 'plan:pro converted:true')).toEqual(['john'])
    expect(ids(index, 'plan:pro converted:false')).toEqual([])
    expect(ids(index, '-plan:pro')).toEqual(['ann'])
    expect(ids(index, 'example -pricing')).toEqual(['john'])
  })

  it('forgets old values when a session is updated', () => {
    const updated = indexOf(john)
    updated.upsert({ ...john, tags: { ...john.tags, plan: 'enterprise' } })
    expect(ids(updated, 'plan:pro')).toEqual([])
    expect(ids(updated, 'plan:enterprise')).toEqual(['john'])
    expect(ids(updated, 'enterprise')).toEqual(['john'])
  })

  it('compares numbers and dates in tags', () => {
    const dated = indexOf(
      session('a', '2026-12-01T10:00:00.000Z', { tags: { points: 10, since: '2026-01-05' } }),
      session('b', '2026-12-02T10:00:00.000Z', { tags: { points: '40', since: '2025-06-01' } }),
      session('c', '2026-12-03T10:00:00.000Z', { tags: { points: 41, since: 'soon' } }),
    )
    expect(ids(dated, 'points:>40')).toEqual(['c'])
    expect(ids(dated, 'points:>=40')).toEqual(['c', 'b'])
    expect(ids(dated, 'points:<40')).toEqual(['a'])
    expect(ids(dated, 'since:<2026-01-01')).toEqual(['b'])
    expect(ids(dated, 'since:>=2026-01-05')).toEqual(['a'])
  })

  it('answers the session fields', () => {
    const fielded = indexOf(
      session('a', '2026-12-01T10:00:00.000Z', {
        site: '1234',
        urls: ['https://shop.example/checkout?step=2'],
        browser: 'Chrome 156',
        os: 'Linux',
        device: 'desktop',
        errors: ['TypeError: x is undefined'],
        durationMs: 150_000,
        pages: 4,
      }),
      session('b', '2026-12-03T10:00:00.000Z', {
        site: '99',
        urls: ['https://shop.example/pricing'],
        browser: 'Firefox 140',
        os: 'Android 15',
        device: 'mobile',
        durationMs: 30_000,
        pages: 1,
      }),
    )
    expect(ids(fielded, 'url:/checkout')).toEqual(['a'])
    expect(ids(fielded, 'url:SHOP.example')).toEqual(['b', 'a'])
    expect(ids(fielded, 'site:1234')).toEqual(['a'])
    expect(ids(fielded, 'site:123')).toEqual([])
    expect(ids(fielded, 'browser:chrome')).toEqual(['a'])
    expect(ids(fielded, 'os:android device:mobile')).toEqual(['b'])
    expect(ids(fielded, 'error:TypeError')).toEqual(['a'])
    expect(ids(fielded, 'after:2026-12-02')).toEqual(['b'])
    expect(ids(fielded, 'before:2026-12-02')).toEqual(['a'])
    expect(ids(fielded, 'duration:>2m')).toEqual(['a'])
    expect(ids(fielded, 'pages:>3')).toEqual(['a'])
    expect(ids(fielded, 'pages:1')).toEqual(['b'])
  })

  it('finds has:, identity: and a tag named like a field with "#"', () => {
    const odd = indexOf(
      session('a', '2026-12-01T10:00:00.000Z', {
        identity: 'john@example.com',
        tags: { url: 'home', email: 'j@x' },
        urls: ['https://x.example/a'],
      }),
      session('b', '2026-12-02T10:00:00.000Z', { urls: ['https://x.example/home'] }),
    )
    expect(ids(odd, '#url:home')).toEqual(['a'])
    expect(ids(odd, 'url:home')).toEqual(['b'])
    expect(ids(odd, 'has:email')).toEqual(['a'])
    expect(ids(odd, 'has:#url')).toEqual(['a'])
    expect(ids(odd, 'identity:john')).toEqual(['a'])
  })

  it('combines OR, groups and negated groups', () => {
    expect(ids(index, 'plan:pro OR plan:free')).toEqual(['ann', 'john'])
    expect(ids(index, '(plan:pro OR plan:free) converted:true')).toEqual(['john'])
    expect(ids(index, '-(plan:pro OR userId:99)')).toEqual([])
    expect(ids(index, '-plan:pro OR converted:true')).toEqual(['ann', 'john'])
  })

  it('finds bare words in page titles and errors', () => {
    const titled = new SessionIndex({ titlesOf: () => ['Order summary'] })
    titled.upsert(session('a', '2026-12-01T10:00:00.000Z', { errors: ['Quota exceeded'] }))
    expect(ids(titled, 'summary')).toEqual(['a'])
    expect(ids(titled, 'quota')).toEqual(['a'])
  })

  it('sorts by newest, oldest, longest, most pages, and exact hits first', () => {
    const sorted = indexOf(
      session('a', '2026-12-01T10:00:00.000Z', {
        durationMs: 5,
        pages: 9,
        stringTags: ['checkout'],
      }),
      session('b', '2026-12-02T10:00:00.000Z', {
        durationMs: 50,
        pages: 1,
        stringTags: ['checkouts'],
      }),
      session('c', '2026-12-03T10:00:00.000Z', {
        durationMs: 20,
        pages: 3,
        stringTags: ['chekout'],
      }),
    )
    const order = (q: string, sort: SortOrder) => sorted.search(q, sort).map((s) => s.id)
    expect(order('', 'newest')).toEqual(['c', 'b', 'a'])
    expect(order('', 'oldest')).toEqual(['a', 'b', 'c'])
    expect(order('', 'longest')).toEqual(['b', 'c', 'a'])
    expect(order('', 'pages')).toEqual(['a', 'c', 'b'])
    expect(order('checkout', 'relevance')).toEqual(['a', 'c', 'b'])
  })

  it('suggests tag keys by use, then the values of a key with their counts', () => {
    const many = indexOf(
      john,
      ann,
      session('x', '2026-12-03T10:00:00.000Z', { tags: { plan: 'pro', url: 'home' } }),
    )
    expect(many.suggest('pl').map((s) => [s.label, s.count, s.query])).toEqual([
      ['plan', 3, 'plan:'],
    ])
    expect(many.suggest('converted:true plan:').map((s) => [s.label, s.count, s.query])).toEqual([
      ['pro', 2, 'converted:true plan:pro'],
      ['free', 1, 'converted:true plan:free'],
    ])
    expect(many.suggest('-u')[0]).toMatchObject({ label: 'userId', query: '-userId:' })
    expect(many.suggest('ur').map((s) => s.query)).toEqual(['#url:', 'url:'])
    expect(many.suggest('tag:"viewed p').map((s) => s.query)).toEqual(['tag:"viewed pricing"'])
  })

  it('gives facets of the results: the most used keys and their frequent values', () => {
    const faceted = indexOf(
      john,
      ann,
      session('x', '2026-12-03T10:00:00.000Z', { tags: { plan: 'pro' }, stringTags: ['vip'] }),
    )
    const plan = faceted.facets('').find((f) => f.key === 'plan')
    expect(plan).toEqual({
      key: 'plan',
      count: 3,
      values: [
        { value: 'pro', count: 2, term: 'plan:pro' },
        { value: 'free', count: 1, term: 'plan:free' },
      ],
    })
    expect(faceted.facets('').map((f) => f.key)).not.toContain('email')
    expect(faceted.facets('plan:pro').find((f) => f.key === 'plan')!.values).toEqual([
      { value: 'pro', count: 2, term: 'plan:pro' },
    ])
  })

  it('forgets a removed session in every kind of answer', () => {
    const removing = indexOf(john, ann)
    // Ask for an order first, so the removal must also drop the order kept for it.
    expect(removing.search('', 'longest')).toHaveLength(2)
    const before = removing.version
    removing.remove('john')

    expect(removing.version).toBeGreaterThan(before)
    expect(removing.size).toBe(1)
    for (const query of ['', 'plan:pro', 'tag:"viewed checkout"', 'checkout', 'userId:>1000']) {
      expect(ids(removing, query)).not.toContain('john')
    }
    expect(removing.search('', 'longest').map((s) => s.id)).toEqual(['ann'])
    expect(removing.suggest('pl').length).toBeGreaterThan(0)
    removing.remove('john')
    expect(removing.size).toBe(1)
  })

  it('counts every change in its version', () => {
    const counted = new SessionIndex()
    const before = counted.version
    counted.upsert(john)
    counted.upsert(john)
    expect(counted.version).toBe(before + 2)
  })

  it('throws a syntax error for a malformed query', () => {
    expect(() => index.search('tag:"open')).toThrow(QuerySyntaxError)
  })
})
