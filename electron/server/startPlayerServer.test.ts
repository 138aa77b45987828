import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { startPlayerServer, type PlayerServer } from './startPlayerServer'

const dir = mkdtempSync(join(tmpdir(), 'replaydesk-player-'))
const COLLECTOR = 'http://127.0.0.1:8731'
let player: PlayerServer
let port: number

function get(path: string, host = `127.0.0.1:${port}`, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers: { host } }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      })
      req.on('error', reject)
      req.end()
    },
  )
}

beforeAll(async () => {
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'player.html'), '<p>player</p>')
  writeFileSync(join(dir, 'index.html'), '<p>the UI</p>')
  writeFileSync(join(dir, 'assets', 'player-1.js'), '// player')
  player = await startPlayerServer({
    dir,
    collectorUrl: COLLECTOR,
    logger: pino({ level: 'silent' }),
  })
  port = Number(new URL(player.playerUrl).port)
})

afterAll(async () => {
  await player.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the player origin', () => {
  it('serves the player under a policy that lets no recording reach out', async () => {
    const reply = await get('/player.html')
    expect(reply.status).toBe(200)
    expect(reply.body).toBe('<p>player</p>')
    const csp = String(reply.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain(`img-src 'self' data: blob: ${COLLECTOR};`)
    expect(csp).toContain("connect-src 'none'")
    expect(csp).toContain(`frame-ancestors ${COLLECTOR} http://localhost:8731`)
    expect(csp).not.toMatch(/https?:(\s|;|$)/)
  })

  it('serves the player bundles', async () => {
    expect((await get('/assets/player-1.js')).status).toBe(200)
  })

  it.each(['/', '/index.html', '/api/searchSessions', '/assets/../index.html', '/snippet.js'])(
    'has nothing else: %s',
    async (path) => {
      expect((await get(path)).status).toBe(404)
    },
  )

  it('answers only requests that name it', async () => {
    expect((await get('/player.html', `evil.example:${port}`)).status).toBe(421)
  })

  it('takes no writes', async () => {
    expect((await get('/player.html', undefined, 'POST')).status).toBe(405)
  })
})
