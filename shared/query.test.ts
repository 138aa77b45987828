import { describe, expect, it } from 'vitest'
import { formatTerm, parseQuery, QuerySyntaxError, splitLastWord, type QueryNode } from './query'

/** The tree without positions, which most tests do not care about. */
function tree(query: string): unknown {
  const strip = (node: QueryNode): unknown => {
    switch (node.kind) {
      case 'and':
      case 'or':
        return { [node.kind]: node.children.map(strip) }
      case 'not':
        return { not: strip(node.child) }
      default: {
        const { position: _p, ...term } = node
        return term
      }
    }
  }
  const { root } = parseQuery(query)
  return root === null ? null : strip(root)
}

function errorOf(query: string): QuerySyntaxError {
  try {
    parseQuery(query)
  } catch (error) {
    if (error instanceof QuerySyntaxError) return error
    throw error
  }
  throw new Error(`${query} parsed without an error`)
}

describe('parseQuery', () => {
  it('reads key:value terms, quoted values and bare words, ANDed', () => {
    expect(tree('email:john@example.com key:"two words" checkout')).toEqual({
      and: [
        { kind: 'keyValue', key: 'email', value: 'john@example.com', op: '=' },
        { kind: 'keyValue', key: 'key', value: 'two words', op: '=' },
        { kind: 'text', value: 'checkout' },
      ],
    })
  })

  it('reads tag:"…" as a string tag, whatever the case of "tag"', () => {
    expect(tree('tag:"viewed checkout" TAG:vip')).toEqual({
      and: [
        { kind: 'stringTag', value: 'viewed checkout' },
        { kind: 'stringTag', value: 'vip' },
      ],
    })
  })

  it('reads comparisons of numbers and dates on tags', () => {
    expect(tree('pointsEarned:>40')).toEqual({
      kind: 'keyValue',
      key: 'pointsEarned',
      value: '40',
      op: '>',
      operand: { type: 'number', value: 40 },
    })
    expect(tree('signedUp:<=2026-12-01')).toMatchObject({
      op: '<=',
      operand: { type: 'date', value: Date.UTC(2026, 11, 1) },
    })
    expect(tree('score:>=-1.5')).toMatchObject({ op: '>=', operand: { value: -1.5 } })
  })

  it('keeps userId:1258 and converted:true as exact terms', () => {
    expect(tree('userId:1258 converted:true')).toEqual({
      and: [
        { kind: 'keyValue', key: 'userId', value: '1258', op: '=' },
        { kind: 'keyValue', key: 'converted', value: 'true', op: '=' },
      ],
    })
  })

  it('reads has:, identity: and the session fields', () => {
    expect(tree('has:email identity:john url:/checkout site:1234 browser:chrome')).toEqual({
      and: [
        { kind: 'has', key: 'email' },
        { kind: 'field', field: 'identity', value: 'john' },
        { kind: 'field', field: 'url', value: '/checkout' },
        { kind: 'site', value: '1234' },
        { kind: 'field', field: 'browser', value: 'chrome' },
      ],
    })
    expect(tree('os:linux device:mobile error:TypeError')).toEqual({
      and: [
        { kind: 'field', field: 'os', value: 'linux' },
        { kind: 'field', field: 'device', value: 'mobile' },
        { kind: 'field', field: 'error', value: 'TypeError' },
      ],
    })
  })

  it('reads dates, durations and page counts as ranges', () => {
    expect(tree('after:2026-12-01 before:2026-12-03T12:00')).toEqual({
      and: [
        { kind: 'range', field: 'startedAt', op: '>=', value: Date.UTC(2026, 11, 1) },
        { kind: 'range', field: 'startedAt', op: '<', value: Date.UTC(2026, 11, 3, 12) },
      ],
    })
    expect(tree('duration:>2m duration:<=90s duration:<1.5h pages:>3')).toEqual({
      and: [
        { kind: 'range', field: 'duration', op: '>', value: 120_000 },
        { kind: 'range', field: 'duration', op: '<=', value: 90_000 },
        { kind: 'range', field: 'duration', op: '<', value: 5_400_000 },
        { kind: 'range', field: 'pages', op: '>', value: 3 },
      ],
    })
  })

  it('reaches a tag whose key is a field name with "#"', () => {
    expect(tree('#url:home #tag:x has:#url')).toEqual({
      and: [
        { kind: 'keyValue', key: 'url', value: 'home', op: '=' },
        { kind: 'keyValue', key: 'tag', value: 'x', op: '=' },
        { kind: 'has', key: 'url' },
      ],
    })
  })

  it('keeps colons and parentheses inside a value at the top level', () => {
    expect(tree('url:http://a.example:8080/x(1)')).toEqual({
      kind: 'field',
      field: 'url',
      value: 'http://a.example:8080/x(1)',
    })
  })

  it('reads a quoted phrase as one bare term', () => {
    expect(tree('"viewed checkout"')).toEqual({ kind: 'text', value: 'viewed checkout' })
  })

  it('binds OR looser than AND, and groups with parentheses', () => {
    expect(tree('a b OR c')).toEqual({
      or: [
        {
          and: [
            { kind: 'text', value: 'a' },
            { kind: 'text', value: 'b' },
          ],
        },
        { kind: 'text', value: 'c' },
      ],
    })
    expect(tree('a (b OR plan:pro)')).toEqual({
      and: [
        { kind: 'text', value: 'a' },
        {
          or: [
            { kind: 'text', value: 'b' },
            { kind: 'keyValue', key: 'plan', value: 'pro', op: '=' },
          ],
        },
      ],
    })
  })

  it('reads lower-case "or" as a word', () => {
    expect(tree('this or that')).toEqual({
      and: [
        { kind: 'text', value: 'this' },
        { kind: 'text', value: 'or' },
        { kind: 'text', value: 'that' },
      ],
    })
  })

  it('negates any term or group with a leading "-"', () => {
    expect(tree('-plan:free -spam -(a OR b) -duration:>1m')).toEqual({
      and: [
        { not: { kind: 'keyValue', key: 'plan', value: 'free', op: '=' } },
        { not: { kind: 'text', value: 'spam' } },
        {
          not: {
            or: [
              { kind: 'text', value: 'a' },
              { kind: 'text', value: 'b' },
            ],
          },
        },
        { not: { kind: 'range', field: 'duration', op: '>', value: 60_000 } },
      ],
    })
  })

  it('gives an empty query no tree', () => {
    expect(tree('   ')).toBeNull()
  })

  it('records where each term starts', () => {
    const { root } = parseQuery('a  -b:c')
    expect(root).toMatchObject({
      children: [{ position: 0 }, { position: 3, child: { position: 4 } }],
    })
  })

  it.each([
    ['tag:"never closed', 4, 'this quote is never closed'],
    ['plan: pro', 5, '"plan:" needs a value'],
    ['a -', 2, '"-" must be followed by a term'],
    [':x', 0, 'a term cannot start with ":"'],
    ['ab"c', 2, 'a quote must start a key or a value'],
    ['(a OR b', 0, 'this "(" is never closed'],
    ['a )', 2, 'this ")" has no "(" to close'],
    ['()', 0, '"()" holds no term'],
    ['OR a', 0, '"OR" needs a term before it'],
    ['a OR', 2, '"OR" needs a term after it'],
    ['a OR OR b', 2, '"OR" needs a term after it'],
    ['points:>many', 8, 'compares numbers or dates'],
    ['points:>', 8, '"points:>" needs a value'],
    ['after:yesterday', 6, 'is not a date'],
    ['after:2026-13-45', 6, 'is not a date'],
    ['duration:>2days', 10, 'is not a duration'],
    ['pages:>few', 7, 'is not a number'],
    ['url:>x', 4, 'does not compare'],
    ['(a -)', 3, '"-" must be followed by a term'],
  ])('points at the problem in %j', (query, position, message) => {
    const error = errorOf(query)
    expect(error.position).toBe(position)
    expect(error.message).toContain(message)
    expect(error.message).toContain(`(at column ${position + 1})`)
  })
})

describe('formatTerm', () => {
  it('writes a term that parses back to the same tag', () => {
    for (const [key, value] of [
      ['plan', 'pro'],
      ['note', 'two words'],
      ['url', 'home'],
      ['score', '>3'],
      [null, 'viewed checkout'],
    ] as const) {
      const term = formatTerm(key, value)!
      const node = parseQuery(term).root
      if (key === null) expect(node).toMatchObject({ kind: 'stringTag', value })
      else expect(node).toMatchObject({ kind: 'keyValue', key, value, op: '=' })
    }
  })

  it('refuses what the language cannot write', () => {
    expect(formatTerm('two words', 'x')).toBeNull()
    expect(formatTerm('k', 'say "hi"')).toBeNull()
  })
})

describe('splitLastWord', () => {
  it('finds the word being typed, its key and what is before it', () => {
    expect(splitLastWord('plan:pro -em')).toEqual({
      before: 'plan:pro ',
      lead: '-',
      key: null,
      partial: 'em',
    })
    expect(splitLastWord('(plan:"fr')).toEqual({
      before: '',
      lead: '(',
      key: 'plan',
      partial: 'fr',
    })
    expect(splitLastWord('tag:"viewed ch')).toEqual({
      before: '',
      lead: '',
      key: 'tag',
      partial: 'viewed ch',
    })
    expect(splitLastWord('a ')).toEqual({ before: 'a ', lead: '', key: null, partial: '' })
  })
})
