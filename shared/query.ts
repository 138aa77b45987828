/**
 * The query language of the search box and `replaydesk search`. First cut:
 *
 *   email:john@example.com     a key/value tag, exact (strings compare case-insensitively)
 *   key:"two words"            quoted values keep their spaces
 *   tag:"viewed checkout"      a plain string tag, exact
 *   checkout                   a bare word: any tag, the identity or a URL (prefix, fuzzy)
 *   -plan:free                 a leading "-" negates a term
 *
 * Terms AND together. Parsing is a single left-to-right scan: each term is a word that
 * may hold one unquoted ":" splitting key from value, and either side may be quoted.
 * A malformed query throws a QuerySyntaxError that points at the offending column.
 */

export type QueryTerm =
  | { kind: 'keyValue'; key: string; value: string; negated: boolean; position: number }
  | { kind: 'stringTag'; value: string; negated: boolean; position: number }
  | { kind: 'text'; value: string; negated: boolean; position: number }

export interface Query {
  terms: QueryTerm[]
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

/** The key that names plain string tags rather than a key/value tag. */
export const STRING_TAG_KEY = 'tag'

export function parseQuery(source: string): Query {
  const terms: QueryTerm[] = []
  let i = 0

  while (i < source.length) {
    if (/\s/.test(source[i]!)) {
      i++
      continue
    }

    const start = i
    const negated = source[i] === '-'
    if (negated) i++
    if (i >= source.length || /\s/.test(source[i]!)) {
      throw new QuerySyntaxError('"-" must be followed by a term', start)
    }

    const first = readPart(source, i, true)
    i = first.end

    if (source[i] !== ':' || first.quoted) {
      terms.push({ kind: 'text', value: first.text, negated, position: start })
      continue
    }

    const key = first.text
    if (key === '') throw new QuerySyntaxError('a term cannot start with ":"', i)
    i++
    if (i >= source.length || /\s/.test(source[i]!)) {
      throw new QuerySyntaxError(`"${key}:" needs a value`, i)
    }
    const second = readPart(source, i, false)
    i = second.end

    if (key.toLowerCase() === STRING_TAG_KEY) {
      terms.push({ kind: 'stringTag', value: second.text, negated, position: start })
    } else {
      terms.push({ kind: 'keyValue', key, value: second.text, negated, position: start })
    }
  }

  return { terms }
}

/** Reads a quoted string, or a run of characters up to a space (or a ":" in a key). */
function readPart(
  source: string,
  start: number,
  isKey: boolean,
): { text: string; end: number; quoted: boolean } {
  if (source[start] === '"') {
    const close = source.indexOf('"', start + 1)
    if (close === -1) throw new QuerySyntaxError('this quote is never closed', start)
    return { text: source.slice(start + 1, close), end: close + 1, quoted: true }
  }

  if (isKey && source[start] === ':') return { text: '', end: start, quoted: false }

  let end = start
  while (end < source.length && !/\s/.test(source[end]!)) {
    if (isKey && source[end] === ':' && end > start) break
    if (source[end] === '"') {
      throw new QuerySyntaxError('a quote must start a key or a value', end)
    }
    end++
  }
  return { text: source.slice(start, end), end, quoted: false }
}
