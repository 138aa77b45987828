import type { TagValue } from './api'

/** Longest tag key, string tag or string value accepted; longer ones are refused, not cut. */
export const MAX_TAG_KEY_LENGTH = 128
export const MAX_TAG_TEXT_LENGTH = 1024

/**
 * What one `tagSession` call asks for: a plain string tag, or key/value pairs. The
 * semantics (DESIGN.md) are applied where tags are stored: a key set again replaces its
 * value, a string tag set again is ignored, and both remember when they were first set.
 */
export type TagArgument = string | Record<string, TagValue>

export type ParsedTag = { ok: true; tag: TagArgument } | { ok: false; reason: string }

/** Checks a `tagSession` argument as a page passed it, with a reason a developer can act on. */
export function parseTagArgument(arg: unknown): ParsedTag {
  if (typeof arg === 'string') return parseStringTag(arg)

  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) {
    return { ok: false, reason: 'a tag is a string or an object of key/value pairs' }
  }

  const entries = Object.entries(arg as Record<string, unknown>)
  if (entries.length === 0) return { ok: false, reason: 'a tag object needs at least one key' }

  const tag: Record<string, TagValue> = {}
  for (const [key, value] of entries) {
    const problem = checkKeyValue(key, value)
    if (problem) return { ok: false, reason: problem }
    tag[key] = value as TagValue
  }
  return { ok: true, tag }
}

function parseStringTag(text: string): ParsedTag {
  const tag = text.trim()
  if (tag === '') return { ok: false, reason: 'a string tag cannot be empty' }
  if (tag.length > MAX_TAG_TEXT_LENGTH) {
    return { ok: false, reason: `a string tag is at most ${MAX_TAG_TEXT_LENGTH} characters` }
  }
  return { ok: true, tag }
}

function checkKeyValue(key: string, value: unknown): string | null {
  if (key.trim() === '' || key.length > MAX_TAG_KEY_LENGTH) {
    return `a tag key is 1 to ${MAX_TAG_KEY_LENGTH} characters`
  }
  if (typeof value === 'string') {
    return value.length > MAX_TAG_TEXT_LENGTH
      ? `the value of "${key}" is longer than ${MAX_TAG_TEXT_LENGTH} characters`
      : null
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : `the value of "${key}" is not a finite number`
  }
  if (typeof value === 'boolean') return null
  return `the value of "${key}" must be a string, a number or a boolean`
}

/** A tag value as people type it in a query and read it in a list: `converted:true`. */
export function formatTagValue(value: TagValue): string {
  return typeof value === 'string' ? value : String(value)
}
