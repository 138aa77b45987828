import { describe, expect, it } from 'vitest'
import { formatDesktopLink, formatSessionHash, parseDesktopLink, parseSessionHash } from './links'

describe('session links', () => {
  it('read back what they write', () => {
    expect(parseSessionHash(formatSessionHash('abc-123', 4500.4))).toEqual({
      id: 'abc-123',
      ms: 4500,
    })
    expect(parseDesktopLink(formatDesktopLink('abc-123', 7))).toEqual({ id: 'abc-123', ms: 7 })
  })

  it('default to the start without a moment', () => {
    expect(parseSessionHash('#/session/abc')).toEqual({ id: 'abc', ms: 0 })
    expect(parseDesktopLink('replaydesk://session/abc/')).toEqual({ id: 'abc', ms: 0 })
  })

  it.each([
    '#/session/../etc?t=1',
    '#/session/abc?t=-5',
    '#/session/abc?t=1&x=<b>',
    '#token=abc',
    '#/session/',
  ])('refuse %s', (hash) => {
    expect(parseSessionHash(hash)).toBeNull()
  })

  it('refuse desktop links to anything but a session', () => {
    expect(parseDesktopLink('replaydesk://settings')).toBeNull()
    expect(parseDesktopLink('replaydesk://session/a b')).toBeNull()
    expect(parseDesktopLink('https://session/abc')).toBeNull()
  })
})
