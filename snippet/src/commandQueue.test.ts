import { afterEach, describe, expect, it, vi } from 'vitest'
import { ingestEndpoint, readCommand } from './commandQueue'

describe('readCommand', () => {
  const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  afterEach(() => warnings.mockClear())

  it('reads the Inspectlet commands and the extensions', () => {
    expect(readCommand(['identify', 'jane@example.com'])).toMatchObject({
      kind: 'command',
      command: { op: 'identify', value: 'jane@example.com' },
    })
    expect(readCommand(['tagSession', { plan: 'pro' }])).toMatchObject({
      command: { op: 'tag', value: { plan: 'pro' } },
    })
    expect(readCommand(['maskAllText', true])).toEqual({ kind: 'maskAllText', on: true })
    expect(readCommand(['stop'])).toEqual({ kind: 'stop' })
    expect(readCommand(['collector', 'https://rec.example.com/'])).toEqual({
      kind: 'collector',
      endpoint: 'https://rec.example.com/ingest',
    })
    expect(warnings).not.toHaveBeenCalled()
  })

  it.each([
    [['noSuchCommand']],
    ['tagSession'],
    [['identify', '']],
    [['wid', { id: 1 }]],
    [['maskAllText', 'yes']],
    [['collector', 'javascript:alert(1)']],
    [['tagSession', { nested: { no: 1 } }]],
  ])('skips %j with exactly one warning', (item) => {
    expect(readCommand(item)).toBeNull()
    expect(warnings).toHaveBeenCalledTimes(1)
    expect(String(warnings.mock.calls[0]![0])).toMatch(/^\[replaydesk\] .*; skipped$/)
  })
})

describe('ingestEndpoint', () => {
  it.each([
    ['http://127.0.0.1:8731', 'http://127.0.0.1:8731/ingest'],
    ['https://h.example/rec/', 'https://h.example/rec/ingest'],
    ['https://h.example/rec/ingest', 'https://h.example/rec/ingest'],
  ])('posts %s to %s', (base, endpoint) => {
    expect(ingestEndpoint(base)).toBe(endpoint)
  })

  it('refuses anything but http and https', () => {
    expect(ingestEndpoint('ftp://h.example')).toBeNull()
    expect(ingestEndpoint(42)).toBeNull()
  })
})
