/**
 * The query language of the search box, the service and `replaydesk search`:
 *
 *   email:john@example.com     a key/value tag, exact (strings compare case-insensitively)
 *   key:"two words"            quoted values keep their spaces
 *   pointsEarned:>40           numbers and dates compare with > >= < <=
 *   tag:"viewed checkout"      a plain string tag, exact
 *   has:email                  the tag key is set
 *   #url:/x                    a tag whose key collides with a field name
 *   url:/checkout site:1234    fields of the session (see FIELDS)
 *   checkout                   a bare word: tags, identity, URLs, titles, errors (prefix, fuzzy)
 *   a OR b, (a OR b) c         OR binds looser than the implicit AND; parentheses group
 *   -plan:free, -(a OR b)      a leading "-" negates any term or group
 *
 * Parsing is recursive descent over a hand-written scanner, because a term's value may hold
 * characters (":", "/", "@", "(") that a generic tokenizer would split. A ")" ends a value only
 * while a group is open, so `url:/a(b)` still reads as one value at the top level. A malformed
 * query throws a QuerySyntaxError that points at the offending column.
 */

/** Comparison written before a value: `key:>40`. Plain `key:value` is `=`. */
export type Comparison = '=' | '>' | '>=' | '<' | '<='

/** Fields of the session that a `field:value` term reaches instead of a tag. */
export const FIELDS = [
  'url',
  'site',
  'identity',
  'browser',
  'os',
  'device',
  'error',
  'after',
  'before',
  'duration',
  'pages',
] as const

export type FieldName = (typeof FIELDS)[number]

/** Fields matched by a case-insensitive "contains"; `site` is exact, the rest compare. */
export const CONTAINS_FIELDS: readonly FieldName[] = [
  'url',
  'identity',
  'browser',
  'os',
  'device',
  'error',
]

/** The key that names plain string tags rather than a key/value tag. */
export const STRING_TAG_KEY = 'tag'
/** `has:key` is true when the session has a key/value tag with that key. */
export const HAS_KEY = 'has'
/** `#key:value` reaches the tag `key` even when `key` is a field name or `tag`/`has`. */
export const TAG_KEY_PREFIX = '#'

/**
 * A comparison operand, read once by the parser so every path that answers a query compares
 * the same way: a number, or a time in milliseconds since the epoch.
 */
export type Operand = { type: 'number'; value: number } | { type: 'date'; value: number }

export type QueryTerm =
  | {
      kind: 'keyValue'
      key: string
      value: string
      op: Comparison
      /** Set when `op` is not `=`. */
      operand?: Operand
      position: number
    }
  | { kind: 'stringTag'; value: string; position: number }
  | { kind: 'has'; key: string; position: number }
  | {
      kind: 'field'
      field: 'url' | 'identity' | 'browser' | 'os' | 'device' | 'error'
      value: string
      position: number
    }
  | { kind: 'site'; value: string; position: number }
  | {
      kind: 'range'
      field: 'startedAt' | 'duration' | 'pages'
      op: Comparison
      value: number
      position: number
    }
  | { kind: 'text'; value: string; position: number }

export type QueryNode =
  | QueryTerm
  | { kind: 'and'; children: QueryNode[] }
  | { kind: 'or'; children: QueryNode[] }
  | { kind: 'not'; child: QueryNode; position: number }

export interface Query {
  /** Null for an empty query, which matches every session. */
  root: QueryNode | null
}

export class QuerySyntaxError extends Error {
  constructor(
    message: string,
    /** Zero-based column in the query where the problem is. */
    readonly position: number,
  ) {
    super(`${message} (at column ${position + 1})`)
    this.name = 'QuerySyntaxError'
  }
}

export function parseQuery(source: string): Query {
  const parser = new Parser(source)
  const root = parser.parseOr(0)
  parser.skipSpace()
  if (!parser.atEnd()) {
    throw new QuerySyntaxError('this ")" has no "(" to close', parser.index)
  }
  return { root }
}

/** Every term of a query, wherever it sits in the tree, with whether it is negated. */
export function termsOf(
  node: QueryNode | null,
  negated = false,
): { term: QueryTerm; negated: boolean }[] {
  if (node === null) return []
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.children.flatMap((c) => termsOf(c, negated))
    case 'not':
      return termsOf(node.child, !negated)
    default:
      return [{ term: node, negated }]
  }
}

const SPACE = /\s/

class Parser {
  index = 0

  constructor(private readonly source: string) {}

  atEnd(): boolean {
    return this.index >= this.source.length
  }

  skipSpace(): void {
    while (!this.atEnd() && SPACE.test(this.source[this.index]!)) this.index++
  }

  /** or := and ("OR" and)* */
  parseOr(depth: number): QueryNode | null {
    const first = this.parseAnd(depth)
    const children = first ? [first] : []

    while (this.peekOr()) {
      const at = this.index
      if (children.length === 0) throw new QuerySyntaxError('"OR" needs a term before it', at)
      this.index += 2
      const next = this.parseAnd(depth)
      if (!next) throw new QuerySyntaxError('"OR" needs a term after it', at)
      children.push(next)
    }
    if (children.length === 0) return null
    return children.length === 1 ? children[0]! : { kind: 'or', children }
  }

  /** and := unary* — stops before "OR", ")" or the end. */
  private parseAnd(depth: number): QueryNode | null {
    const children: QueryNode[] = []
    for (;;) {
      this.skipSpace()
      if (this.atEnd() || this.peekOr()) break
      if (this.source[this.index] === ')') {
        if (depth === 0) throw new QuerySyntaxError('this ")" has no "(" to close', this.index)
        break
      }
      children.push(this.parseUnary(depth))
    }
    if (children.length === 0) return null
    return children.length === 1 ? children[0]! : { kind: 'and', children }
  }

  /** "OR" in capitals, standing alone between terms. */
  private peekOr(): boolean {
    this.skipSpace()
    const s = this.source
    const i = this.index
    if (s.slice(i, i + 2) !== 'OR') return false
    const after = s[i + 2]
    return after === undefined || SPACE.test(after) || after === '(' || after === '-'
  }

  private parseUnary(depth: number): QueryNode {
    const start = this.index
    if (this.source[start] === '-') {
      this.index++
      const next = this.source[this.index]
      if (next === undefined || SPACE.test(next) || next === ')') {
        throw new QuerySyntaxError('"-" must be followed by a term', start)
      }
      return { kind: 'not', child: this.parseUnary(depth), position: start }
    }

    if (this.source[start] === '(') {
      this.index++
      const inner = this.parseOr(depth + 1)
      this.skipSpace()
      if (this.source[this.index] !== ')') {
        throw new QuerySyntaxError('this "(" is never closed', start)
      }
      if (!inner) throw new QuerySyntaxError('"()" holds no term', start)
      this.index++
      return inner
    }

    return this.parseTerm(depth)
  }

  private parseTerm(depth: number): QueryTerm {
    const start = this.index
    const first = this.readPart(true, depth)

    if (this.source[this.index] !== ':' || first.quoted) {
      return { kind: 'text', value: first.text, position: start }
    }

    const key = first.text
    if (key === '') throw new QuerySyntaxError('a term cannot start with ":"', start)
    this.index++
    const valueAt = this.index
    const next = this.source[valueAt]
    if (next === undefined || SPACE.test(next) || (next === ')' && depth > 0)) {
      throw new QuerySyntaxError(`"${key}:" needs a value`, valueAt)
    }

    const op = this.readComparison()
    const operandAt = this.index
    const second = this.readPart(false, depth)
    if (op !== '=' && second.text === '') {
      throw new QuerySyntaxError(`"${key}:${op}" needs a value`, operandAt)
    }
    return buildTerm(key, op, second.text, start, valueAt, operandAt)
  }

  private readComparison(): Comparison {
    const s = this.source
    for (const op of ['>=', '<=', '>', '<', '='] as const) {
      if (s.startsWith(op, this.index)) {
        this.index += op.length
        return op
      }
    }
    return '='
  }

  /** A quoted string, or a run up to a space (or a ":" in a key, or a ")" in a group). */
  private readPart(isKey: boolean, depth: number): { text: string; quoted: boolean } {
    const s = this.source
    const start = this.index

    if (s[start] === '"') {
      const close = s.indexOf('"', start + 1)
      if (close === -1) throw new QuerySyntaxError('this quote is never closed', start)
      this.index = close + 1
      return { text: s.slice(start + 1, close), quoted: true }
    }

    if (isKey && s[start] === ':') return { text: '', quoted: false }

    let end = start
    while (end < s.length && !SPACE.test(s[end]!)) {
      if (isKey && s[end] === ':' && end > start) break
      if (s[end] === ')' && depth > 0) break
      if (s[end] === '"') throw new QuerySyntaxError('a quote must start a key or a value', end)
      end++
    }
    this.index = end
    return { text: s.slice(start, end), quoted: false }
  }
}

function buildTerm(
  rawKey: string,
  op: Comparison,
  value: string,
  position: number,
  valueAt: number,
  operandAt: number,
): QueryTerm {
  if (rawKey.startsWith(TAG_KEY_PREFIX) && rawKey.length > 1) {
    return buildTagTerm(rawKey.slice(1), op, value, position, operandAt)
  }

  const key = rawKey.toLowerCase()
  const exactOnly = (): void => {
    if (op !== '=') throw new QuerySyntaxError(`"${key}:" does not compare; drop "${op}"`, valueAt)
  }

  switch (key) {
    case STRING_TAG_KEY:
      exactOnly()
      return { kind: 'stringTag', value, position }
    case HAS_KEY:
      exactOnly()
      return {
        kind: 'has',
        key: value.startsWith(TAG_KEY_PREFIX) ? value.slice(1) : value,
        position,
      }
    case 'site':
      exactOnly()
      return { kind: 'site', value, position }
    case 'url':
    case 'identity':
    case 'browser':
    case 'os':
    case 'device':
    case 'error':
      exactOnly()
      return { kind: 'field', field: key, value, position }
    case 'after':
    case 'before':
      exactOnly()
      return {
        kind: 'range',
        field: 'startedAt',
        op: key === 'after' ? '>=' : '<',
        value: readDate(value, operandAt),
        position,
      }
    case 'duration':
      return {
        kind: 'range',
        field: 'duration',
        op,
        value: readDuration(value, operandAt),
        position,
      }
    case 'pages':
      return { kind: 'range', field: 'pages', op, value: readNumber(value, operandAt), position }
    default:
      return buildTagTerm(rawKey, op, value, position, operandAt)
  }
}

function buildTagTerm(
  key: string,
  op: Comparison,
  value: string,
  position: number,
  operandAt: number,
): QueryTerm {
  if (op === '=') return { kind: 'keyValue', key, value, op, position }
  const operand = readOperand(value)
  if (!operand) {
    throw new QuerySyntaxError(
      `"${key}:${op}" compares numbers or dates (2026-12-01); "${value}" is neither`,
      operandAt,
    )
  }
  return { kind: 'keyValue', key, value, op, operand, position }
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i
const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[-+]\d{2}:?\d{2})?)?$/i

/** Reads a comparison operand: a number, else a date. Null when it is neither. */
export function readOperand(text: string): Operand | null {
  if (NUMBER.test(text)) return { type: 'number', value: Number(text) }
  const time = parseDate(text)
  return time === null ? null : { type: 'date', value: time }
}

/**
 * A date as people type it. A date alone or a time without a zone is read as UTC, so a
 * query means the same on every machine and in the command line and the window alike.
 */
export function parseDate(text: string): number | null {
  if (!DATE.test(text)) return null
  let iso = text.toUpperCase().replace(' ', 'T')
  if (iso.length === 10) iso += 'T00:00:00'
  if (!/(Z|[-+]\d{2}:?\d{2})$/.test(iso)) iso += 'Z'
  const time = Date.parse(iso)
  return Number.isNaN(time) ? null : time
}

function readDate(text: string, at: number): number {
  const time = parseDate(text)
  if (time === null) {
    throw new QuerySyntaxError(`"${text}" is not a date; write it as 2026-12-01`, at)
  }
  return time
}

function readNumber(text: string, at: number): number {
  if (!NUMBER.test(text)) throw new QuerySyntaxError(`"${text}" is not a number`, at)
  return Number(text)
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `90s`, `2m`, `1.5h`, `500ms`; a bare number is seconds. Returns milliseconds. */
export function readDuration(text: string, at: number): number {
  const match = /^(\d+\.?\d*|\.\d+)(ms|s|m|h)?$/i.exec(text)
  if (!match) {
    throw new QuerySyntaxError(`"${text}" is not a duration; write it as 90s, 2m or 1h`, at)
  }
  return Number(match[1]) * DURATION_UNITS[(match[2] ?? 's').toLowerCase()]!
}

const RESERVED_KEYS = new Set<string>([...FIELDS, STRING_TAG_KEY, HAS_KEY])

/**
 * The term that matches a tag exactly, as a user would type it: `plan:pro`,
 * `tag:"viewed checkout"`, `#url:x` for a key that is also a field name. Null when the key or
 * value cannot be written in the language (a key with a space or a colon, a value with `"`).
 */
export function formatTerm(key: string | null, value: string): string | null {
  if (value.includes('"')) return null
  const quoted = value === '' || /[\s()]/.test(value) || /^[<>=]/.test(value) ? `"${value}"` : value
  if (key === null) return `${STRING_TAG_KEY}:${quoted}`
  if (key === '' || /[\s:"]/.test(key) || key.startsWith('-') || key.startsWith('(')) return null
  const written = RESERVED_KEYS.has(key.toLowerCase()) ? `${TAG_KEY_PREFIX}${key}` : key
  return `${written}:${quoted}`
}

/**
 * The word being typed at the end of a query, for suggestions: what comes before it, any
 * `-` or `(` in front of it, and its key and value when it holds a ":".
 */
export function splitLastWord(query: string): {
  before: string
  lead: string
  key: string | null
  partial: string
} {
  let start = 0
  let inQuote = false
  let afterSpace = true
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!
    if (!inQuote && /\s/.test(c)) {
      afterSpace = true
      continue
    }
    if (afterSpace) start = i
    afterSpace = false
    if (c === '"') inQuote = !inQuote
  }
  if (afterSpace) start = query.length

  const word = query.slice(start)
  const lead = /^[-(]*/.exec(word)![0]
  const body = word.slice(lead.length)
  const colon = body.indexOf(':')
  const key = colon > 0 ? body.slice(0, colon) : null
  const partial = (colon > 0 ? body.slice(colon + 1) : body).replace(/^"|"$/g, '')
  return { before: query.slice(0, start), lead, key, partial }
}
