import { describe, expect, it } from 'vitest'
import type { SessionSummary } from '../../shared/api'
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

  it('throws a syntax error for a malformed query', () => {
    expect(() => index.search('tag:"open')).toThrow(QuerySyntaxError)
  })
})
