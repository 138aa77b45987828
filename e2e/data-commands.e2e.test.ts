/**
 * The data directory from the command line: one writer at a time, readers beside it,
 * `stats`, `pin`, retention at start-up, and `delete` for a user who asks to be forgotten.
 */
import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { SessionSummary } from '../shared/api'
import { cli, cliJson, makeDataDir, serve, type Serving } from './harness'

const DAY = 86_400_000

function batch(sid: string, endedAt: number, email: string) {
  return JSON.stringify({
    v: 1,
    sid,
    tab: 'tab-000001',
    page: 'page-000001',
    seq: 0,
    commands: [{ op: 'tag', t: endedAt, value: { email } }],
    events: [
      { type: 4, timestamp: endedAt, data: { href: 'https://a.example/', width: 1, height: 1 } },
    ],
  })
}

/** Runs `replaydesk ARGS` with stdin that is not a terminal and says `input`. */
function cliWithInput(
  args: string[],
  input: string,
): Promise<{ status: number | null; out: string }> {
  const child = spawn(process.execPath, [
    join(import.meta.dirname, '..', 'bin', 'replaydesk.js'),
    ...args,
  ])
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  child.stdin.end(input)
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, out })))
}

describe('the data directory from the command line', () => {
  const data = makeDataDir()
  let server: Serving | undefined

  afterAll(async () => {
    await server?.stop()
    data.remove()
  })

  it('keeps one writer, lets readers in, and retention spares pinned sessions', async () => {
    server = await serve(data.dir)
    const now = Date.now()
    const send = (body: string) => fetch(`${server!.collectorUrl}/ingest`, { method: 'POST', body })
    expect((await send(batch('session-old-1', now - 40 * DAY, 'old@example.com'))).ok).toBe(true)
    expect((await send(batch('session-old-2', now - 40 * DAY, 'kept@example.com'))).ok).toBe(true)
    expect((await send(batch('session-new-1', now, 'ann@example.com'))).ok).toBe(true)
    expect((await send(batch('session-new-2', now, 'ann@example.com'))).ok).toBe(true)

    const second = cli(['serve', '--port', '0', '--data', data.dir])
    expect(second.status).toBe(1)
    expect(second.stderr.trim()).toMatch(/^replaydesk: another Replaydesk .* is already using/)
    expect(second.stderr.trim().split('\n')).toHaveLength(1)

    expect(cliJson<SessionSummary[]>(['search', '--data', data.dir])).toHaveLength(4)
    expect(cli(['stats', '--data', data.dir]).stdout).toMatch(/Sessions:\s+4 sessions/)
    expect(cli(['pin', 'session-old-2', '--data', data.dir]).status).toBe(0)
    expect(cli(['pin', 'session-nobody', '--data', data.dir]).stderr).toContain('no session')

    await server.stop()
    server = await serve(data.dir) // without retention settings nothing goes
    await server.stop()
    expect(cliJson<SessionSummary[]>(['search', '--data', data.dir])).toHaveLength(4)

    server = await serve(data.dir, 0, ['--keep-days', '30'])
    const kept = cliJson<SessionSummary[]>(['search', '--data', data.dir]).map((s) => s.id)
    expect(kept.sort()).toEqual(['session-new-1', 'session-new-2', 'session-old-2'])

    const busy = cli(['delete', '--yes', '--data', data.dir, 'email:ann@example.com'])
    expect(busy.stderr).toMatch(/already using/)
    await server.stop()
    server = undefined
  })

  it('deletes every session a query matches, and only when told to', async () => {
    const query = 'email:ann@example.com'
    const unasked = await cliWithInput(['delete', '--data', data.dir, query], 'y\n')
    expect(unasked.status).toBe(1)
    expect(unasked.out).toMatch(/would delete 2 sessions .* add --yes/)
    expect(cliJson<SessionSummary[]>(['search', '--data', data.dir])).toHaveLength(3)

    const deleted = cli(['delete', '--yes', '--data', data.dir, query])
    expect(deleted.stdout).toContain('Deleted 2 sessions')
    expect(deleted.stdout).toMatch(/^session-new-1 .*email:ann@example.com/m)
    const left = cliJson<SessionSummary[]>(['search', '--data', data.dir]).map((s) => s.id)
    expect(left).toEqual(['session-old-2'])
    expect(cli(['events', 'session-new-1', '--data', data.dir]).status).toBe(1)
  })
})
