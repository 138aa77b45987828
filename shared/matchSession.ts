import type { SessionSummary, TagValue } from './api'
import { parseDate, type Comparison, type Operand, type QueryNode, type QueryTerm } from './query'
import { formatTagValue } from './tags'

/**
 * What a structured term means, written as a plain test of one session. The index answers
 * the same terms from maps and sorted columns; this is the reference both must agree with
 * (see the property test in electron/index) and what a store scan can use without an index.
 * Bare words are not decided here: their prefix and fuzzy matching belongs to the index.
 */
export function matchesSession(
  summary: SessionSummary,
  node: QueryNode | null,
  matchText: (summary: SessionSummary, word: string) => boolean,
): boolean {
  if (node === null) return true
  switch (node.kind) {
    case 'and':
      return node.children.every((c) => matchesSession(summary, c, matchText))
    case 'or':
      return node.children.some((c) => matchesSession(summary, c, matchText))
    case 'not':
      return !matchesSession(summary, node.child, matchText)
    case 'text':
      return matchText(summary, node.value)
    default:
      return matchesTerm(summary, node)
  }
}

function matchesTerm(s: SessionSummary, term: Exclude<QueryTerm, { kind: 'text' }>): boolean {
  switch (term.kind) {
    case 'keyValue':
      return findTagValues(s, term.key).some((value) => {
        if (!term.operand) return sameText(formatTagValue(value), term.value)
        const comparable = toComparable(value, term.operand.type)
        return comparable !== null && compare(comparable, term.op, term.operand.value)
      })
    case 'stringTag':
      return s.stringTags.some((t) => sameText(t, term.value))
    case 'has':
      return findTagValues(s, term.key).length > 0
    case 'site':
      return s.site !== null && sameText(s.site, term.value)
    case 'field':
      return readFieldTexts(s, term.field).some((t) => contains(t, term.value))
    case 'range':
      return compare(readRangeValue(s, term.field), term.op, term.value)
  }
}

/**
 * Tag keys compare without regard to case, as values do. A page may set both `plan` and
 * `Plan`; a term then matches when either value does.
 */
function findTagValues(s: SessionSummary, key: string): TagValue[] {
  const wanted = key.toLowerCase()
  return Object.entries(s.tags).flatMap(([k, v]) => (k.toLowerCase() === wanted ? [v] : []))
}

/** The texts a contains-field looks in. */
export function readFieldTexts(
  s: SessionSummary,
  field: 'url' | 'identity' | 'browser' | 'os' | 'device' | 'error',
): string[] {
  switch (field) {
    case 'url':
      return s.urls
    case 'error':
      return s.errors
    default: {
      const value = s[field]
      return value === null ? [] : [value]
    }
  }
}

export function readRangeValue(
  s: SessionSummary,
  field: 'startedAt' | 'duration' | 'pages',
): number {
  if (field === 'startedAt') return Date.parse(s.startedAt)
  return field === 'duration' ? s.durationMs : s.pages
}

/**
 * A tag value as a number to compare with an operand of the given type: numbers (and
 * numeric strings) against numbers, date strings against dates. Null: not comparable.
 */
export function toComparable(value: TagValue, type: Operand['type']): number | null {
  if (typeof value === 'boolean') return null
  if (type === 'number') {
    if (typeof value === 'number') return value
    const trimmed = value.trim()
    return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : null
  }
  return typeof value === 'string' ? parseDate(value) : null
}

export function compare(a: number, op: Comparison, b: number): boolean {
  switch (op) {
    case '=':
      return a === b
    case '>':
      return a > b
    case '>=':
      return a >= b
    case '<':
      return a < b
    case '<=':
      return a <= b
  }
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

function contains(text: string, needle: string): boolean {
  return text.toLowerCase().includes(needle.toLowerCase())
}
