/**
 * The fault test: the real `replaydesk serve` is killed with SIGKILL while clients that retry
 * until acknowledged keep sending, then started again on the same port. Every acknowledged
 * batch must be stored, none twice, and SQLite must find the file intact.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import { cli, makeDataDir, serve, type Serving } from './harness'

const CLIENTS = 6
const BATCHES_PER_CLIENT = 50
const EVENTS_PER_BATCH = 4

/** About 5 KB gzipped: event payloads that do not compress away. */
function batchBody(client: number, seq: number): Buffer {
  const t = 1_764_000_000_000 + seq * 1000
  return gzipSync(
    JSON.stringify({
      v: 1,
      sid: `fault-session-${client}`,
      tab: 'fault-tab-01',
      page: 'fault-page-01',
      seq,
      commands: seq === 0 ? [{ op: 'tag', t, value: { client } }] : [],
      events: Array.from({ length: EVENTS_PER_BATCH }, (_, i) => ({
        type: 3,
        timestamp: t + i,
        data: { source: 5, text: randomBytes(900).toString('base64') },
      })),
    }),
  )
}

/** Sends one batch until the collector acknowledges it, as the snippet does. */
async function sendUntilAcknowledged(url: string, body: Buffer, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const reply = await fetch(`${url}/ingest`, { method: 'POST', body: new Uint8Array(body) })
      if (reply.ok) return
      await reply.body?.cancel()
    } catch {
      // Refused or reset while the collector is down: retry after a short pause.
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('a batch was never acknowledged')
}

describe('the collector killed under load', () => {
  const data = makeDataDir()
  let server: Serving | undefined

  afterAll(async () => {
    await server?.stop('SIGKILL')
    data.remove()
  })

  it('keeps every acknowledged batch exactly once across kill -9 and a restart', async () => {
    server = await serve(data.dir)
    const url = server.collectorUrl
    const port = Number(new URL(url).port)
    const deadline = Date.now() + 40_000
    const acknowledged = new Set<string>()

    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let seq = 0; seq < BATCHES_PER_CLIENT; seq++) {
        await sendUntilAcknowledged(url, batchBody(client, seq), deadline)
        acknowledged.add(`${client}/${seq}`)
      }
    })

    // Kill it once a third of the batches are in, with requests in flight.
    while (acknowledged.size < (CLIENTS * BATCHES_PER_CLIENT) / 3) {
      await new Promise((r) => setTimeout(r, 5))
    }
    const killedAt = acknowledged.size
    await server.stop('SIGKILL')
    await new Promise((r) => setTimeout(r, 300))
    server = await serve(data.dir, port)

    await Promise.all(clients)
    await server.stop()
    server = undefined

    expect(killedAt).toBeLessThan(CLIENTS * BATCHES_PER_CLIENT)
    expect(acknowledged.size).toBe(CLIENTS * BATCHES_PER_CLIENT)

    const db = new Database(join(data.dir, 'replaydesk.db'), { readonly: true })
    const chunks = db
      .prepare('SELECT session_id, seq FROM chunks ORDER BY session_id, seq')
      .all() as { session_id: string; seq: number }[]
    const sessions = db.prepare('SELECT id, event_count FROM sessions').all() as {
      id: string
      event_count: number
    }[]
    const integrity = db.pragma('integrity_check', { simple: true })
    db.close()

    const stored = chunks.map((c) => `${c.session_id.replace('fault-session-', '')}/${c.seq}`)
    expect(new Set(stored).size).toBe(stored.length)
    expect(new Set(stored)).toEqual(acknowledged)
    // A batch stored twice would count its events twice.
    for (const session of sessions) {
      expect(session.event_count).toBe(BATCHES_PER_CLIENT * EVENTS_PER_BATCH)
    }
    expect(integrity).toBe('ok')

    expect(cli(['stats', '--data', data.dir]).stdout).toContain(`${CLIENTS} sessions`)
  })
})
