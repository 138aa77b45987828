import { describe, expect, it } from 'vitest'
import { parseQuery, QuerySyntaxError } from './query'

const terms = (q: string) => parseQuery(q).terms.map(({ position: _p, ...t }) => t)

describe('parseQuery', () => {
  it('reads key:value terms, quoted values and bare words', () => {
    expect(terms('email:john@example.com key:"two words" checkout')).toEqual([
      { kind: 'keyValue', key: 'email', value: 'john@example.com', negated: false },
      { kind: 'keyValue', key: 'key', value: 'two words', negated: false },
      { kind: 'text', value: 'checkout', negated: false },
    ])
  })

  it('reads tag:"…" as a string tag, whatever the case of "tag"', () => {
    expect(terms('tag:"viewed checkout" TAG:vip')).toEqual([
      { kind: 'stringTag', value: 'viewed checkout', negated: false },
      { kind: 'stringTag', value: 'vip', negated: false },
    ])
  })

  it('keeps colons inside a value', () => {
    expect(terms('url:http://a.example:8080/x')).toEqual([
      { kind: 'keyValue', key: 'url', value: 'http://a.example:8080/x', negated: false },
    ])
  })

  it('reads a quoted phrase as one bare term', () => {
    expect(terms('"viewed checkout"')).toEqual([
      { kind: 'text', value: 'viewed checkout', negated: false },
    ])
  })

  it('negates a term with a leading "-"', () => {
    expect(terms('-plan:free -spam')).toEqual([
      { kind: 'keyValue', key: 'plan', value: 'free', negated: true },
      { kind: 'text', value: 'spam', negated: true },
    ])
  })

  it('gives an empty query no terms', () => {
    expect(terms('   ')).toEqual([])
  })

  it('records where each term starts', () => {
    expect(parseQuery('a  -b:c').terms.map((t) => t.position)).toEqual([0, 3])
  })

  it.each([
    ['tag:"never closed', 4, 'this quote is never closed'],
    ['plan: pro', 5, '"plan:" needs a value'],
    ['a -', 2, '"-" must be followed by a term'],
    [':x', 0, 'a term cannot start with ":"'],
    ['ab"c', 2, 'a quote must start a key or a value'],
  ])('points at the problem in %j', (query, position, message) => {
    let error: unknown
    try {
      parseQuery(query)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(QuerySyntaxError)
    expect((error as QuerySyntaxError).position).toBe(position)
    expect((error as QuerySyntaxError).message).toContain(message)
  })
})
