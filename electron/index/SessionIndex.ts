import MiniSearch from 'minisearch'
import type { SessionSummary, TagValue } from '../../shared/api'
import { parseQuery, type QueryTerm } from '../../shared/query'
import { formatTagValue } from '../../shared/tags'

interface TextDocument {
  id: string
  tags: string
  identity: string
  urls: string
}

/**
 * The in-memory index of every session. Exact terms (`key:value`, `tag:"…"`) are answered
 * from hash maps of sets; bare words go to MiniSearch for prefix and fuzzy matching. Both are
 * kept current with `upsert` as batches land.
 */
export class SessionIndex {
  private readonly sessions = new Map<string, SessionSummary>()
  private readonly byKeyValue = new Map<string, Set<string>>()
  private readonly byStringTag = new Map<string, Set<string>>()
  private readonly text = new MiniSearch<TextDocument>({
    fields: ['tags', 'identity', 'urls'],
    searchOptions: { prefix: true, fuzzy: 0.2, combineWith: 'AND' },
  })

  get size(): number {
    return this.sessions.size
  }

  /** Adds a session, or replaces what the index knew of it. */
  upsert(summary: SessionSummary): void {
    const previous = this.sessions.get(summary.id)
    if (previous) this.removeTerms(previous)

    this.sessions.set(summary.id, summary)
    for (const [key, value] of Object.entries(summary.tags)) {
      addTo(this.byKeyValue, keyValueTerm(key, value), summary.id)
    }
    for (const tag of summary.stringTags) addTo(this.byStringTag, tag.toLowerCase(), summary.id)

    const document = toTextDocument(summary)
    if (this.text.has(summary.id)) this.text.replace(document)
    else this.text.add(document)
  }

  /** Forgets a deleted session. */
  remove(id: string): void {
    const previous = this.sessions.get(id)
    if (!previous) return
    this.removeTerms(previous)
    this.sessions.delete(id)
    if (this.text.has(id)) this.text.discard(id)
  }

  /**
   * Ids of the sessions a query matches, newest first. Throws QuerySyntaxError on a
   * malformed query.
   */
  search(query: string): SessionSummary[] {
    const { terms } = parseQuery(query)

    let matches: Set<string> | null = null
    for (const term of terms.filter((t) => !t.negated)) {
      matches = intersect(matches, this.match(term))
      if (matches.size === 0) break
    }
    matches ??= new Set(this.sessions.keys())

    for (const term of terms.filter((t) => t.negated)) {
      for (const id of this.match(term)) matches.delete(id)
    }

    return [...matches]
      .map((id) => this.sessions.get(id)!)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.id.localeCompare(b.id))
  }

  private match(term: QueryTerm): Set<string> {
    switch (term.kind) {
      case 'keyValue':
        return this.byKeyValue.get(keyValueTerm(term.key, term.value)) ?? new Set()
      case 'stringTag':
        return this.byStringTag.get(term.value.toLowerCase()) ?? new Set()
      case 'text':
        return new Set(this.text.search(term.value).map((r) => r.id as string))
    }
  }

  private removeTerms(summary: SessionSummary): void {
    for (const [key, value] of Object.entries(summary.tags)) {
      this.byKeyValue.get(keyValueTerm(key, value))?.delete(summary.id)
    }
    for (const tag of summary.stringTags) {
      this.byStringTag.get(tag.toLowerCase())?.delete(summary.id)
    }
  }
}

/** Keys and values compare case-insensitively; `converted:true` matches the boolean. */
function keyValueTerm(key: string, value: TagValue | string): string {
  return `${key.toLowerCase()}\u0000${formatTagValue(value).toLowerCase()}`
}

function toTextDocument(s: SessionSummary): TextDocument {
  const tagText = [
    ...Object.entries(s.tags).map(([k, v]) => `${k} ${formatTagValue(v)}`),
    ...s.stringTags,
  ]
  return { id: s.id, tags: tagText.join(' \n'), identity: s.identity ?? '', urls: s.urls.join(' ') }
}

function addTo(map: Map<string, Set<string>>, term: string, id: string): void {
  let ids = map.get(term)
  if (!ids) map.set(term, (ids = new Set()))
  ids.add(id)
}

function intersect(a: Set<string> | null, b: Set<string>): Set<string> {
  if (a === null) return new Set(b)
  const [small, large] = a.size <= b.size ? [a, b] : [b, a]
  return new Set([...small].filter((id) => large.has(id)))
}
