import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { batchSchema } from '../shared/batchSchema'
import type { SessionSummary } from '../shared/api'
import type { BatchInput } from '../shared/wire'
import { Store } from '../electron/store/Store'
import { makeBatch } from '../electron/testing/makeBatch'
import { cli, cliJson, makeDataDir } from './harness'

const T = 1_764_000_000_000

/**
 * The bundle commands as a user runs them: export from one data directory, import into
 * another, and the command line shows the same sessions and events on both sides.
 */
describe('replaydesk export and import', () => {
  const source = makeDataDir()
  const target = makeDataDir()
  const bundle = join(source.dir, 'out.replaydesk')

  beforeAll(() => {
    const store = Store.open(source.dir)
    const ingest = (input: BatchInput) =>
      store.ingest(batchSchema.parse(input), gzipSync(JSON.stringify(input)))
    ingest(
      makeBatch({ sid: 'session-pro1', commands: [{ op: 'tag', t: T, value: { plan: 'pro' } }] }),
    )
    ingest(
      makeBatch(
        { sid: 'session-free', commands: [{ op: 'tag', t: T, value: { plan: 'free' } }] },
        T + 1000,
      ),
    )
    store.close()
  })

  afterAll(() => {
    source.remove()
    target.remove()
  })

  it('exports the sessions a query matches and imports them elsewhere', () => {
    const exported = cli(['export', '--data', source.dir, '--out', bundle, 'plan:pro'])
    expect(exported.status).toBe(0)
    expect(exported.stdout).toMatch(/^Exported 1 session \(1 chunks, 0 assets, [\d.]+ MB\) to /)

    const imported = cli(['import', '--data', target.dir, bundle])
    expect(imported.status).toBe(0)
    expect(imported.stdout.trim()).toBe(`${bundle}: 1 session (1 new), 1 chunks, 0 assets`)

    const there = cliJson<SessionSummary[]>(['search', '--data', target.dir])
    const here = cliJson<SessionSummary[]>(['search', '--data', source.dir, 'plan:pro'])
    expect(there).toEqual(here)
    expect(cli(['events', '--data', target.dir, 'session-pro1']).stdout).toBe(
      cli(['events', '--data', source.dir, 'session-pro1']).stdout,
    )
  })

  it('adds nothing when a bundle is imported again', () => {
    const again = cli(['import', '--data', target.dir, bundle])
    expect(again.stdout.trim()).toBe(`${bundle}: 1 session (0 new), 1 chunks, 0 assets`)
  })

  it('does not overwrite a file without --force', () => {
    const refused = cli(['export', '--data', source.dir, '--out', bundle])
    expect(refused.status).toBe(1)
    expect(refused.stderr.trim()).toBe(
      `replaydesk: ${bundle} exists: choose another name, or add --force to replace it`,
    )
    expect(cli(['export', '--data', source.dir, '--out', bundle, '--force']).status).toBe(0)
  })

  it('refuses a damaged bundle in one line and imports the good ones beside it', () => {
    const damaged = join(source.dir, 'damaged.replaydesk')
    const bytes = readFileSync(bundle)
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 2000))
    const fresh = makeDataDir()

    const result = cli(['import', '--data', fresh.dir, damaged, bundle])
    expect(result.status).toBe(1)
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^replaydesk: .*damaged\.replaydesk: .*; nothing imported$/),
    ])
    expect(cliJson<SessionSummary[]>(['search', '--data', fresh.dir])).toHaveLength(2)
    fresh.remove()
  })

  it('writes nothing when no session matches', () => {
    const none = join(source.dir, 'none.replaydesk')
    const result = cli(['export', '--data', source.dir, '--out', none, 'plan:nobody'])
    expect(result.status).toBe(0)
    expect(result.stderr.trim()).toBe('No sessions match: nothing written.')
    expect(existsSync(none)).toBe(false)
  })
})
