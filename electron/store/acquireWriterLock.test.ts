import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { acquireWriterLock, WriterLockError } from './acquireWriterLock'

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replaydesk-lock-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('acquireWriterLock', () => {
  it('refuses a second writer with a message that says what to do, until released', () => {
    const first = acquireWriterLock(dir)
    expect(() => acquireWriterLock(dir)).toThrow(WriterLockError)
    expect(() => acquireWriterLock(dir)).toThrow(/already using .* stop it first/)

    first.release()
    acquireWriterLock(dir).release()
  })
})
