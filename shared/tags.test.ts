import { describe, expect, it } from 'vitest'
import { parseTagArgument } from './tags'

describe('parseTagArgument', () => {
  it('takes a string tag, trimmed', () => {
    expect(parseTagArgument('  viewed checkout ')).toEqual({ ok: true, tag: 'viewed checkout' })
  })

  it('takes key/value pairs and keeps each value’s JSON type', () => {
    const tag = { email: 'a@b.c', userId: 1258, converted: true }
    expect(parseTagArgument(tag)).toEqual({ ok: true, tag })
  })

  it.each([
    [null, 'a tag is a string or an object'],
    [['a'], 'a tag is a string or an object'],
    [42, 'a tag is a string or an object'],
    ['', 'cannot be empty'],
    [{}, 'at least one key'],
    [{ nested: { a: 1 } }, 'must be a string, a number or a boolean'],
    [{ n: Number.NaN }, 'not a finite number'],
    [{ '': 'x' }, 'a tag key is 1 to'],
    [{ long: 'x'.repeat(2000) }, 'longer than'],
  ])('refuses %j with a reason', (arg, reason) => {
    const parsed = parseTagArgument(arg)
    expect(parsed.ok).toBe(false)
    expect(parsed.ok ? '' : parsed.reason).toContain(reason)
  })
})
