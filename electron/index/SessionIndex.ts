import MiniSearch from 'minisearch'
import type { Facet, SessionSummary, SortOrder, Suggestion } from '../../shared/api'
import { comparableOf, fieldTexts, rangeValueOf } from '../../shared/matchSession'
import {
  FIELDS,
  formatTerm,
  HAS_KEY,
  parseQuery,
  splitLastWord,
  STRING_TAG_KEY,
  termsOf,
  type QueryNode,
  type QueryTerm,
} from '../../shared/query'
import { formatTagValue } from '../../shared/tags'
import { SortedColumn } from './SortedColumn'
import { EMPTY, ValueSets } from './ValueSets'

interface TextDocument {
  id: string
  tags: string
  identity: string
  urls: string
  titles: string
  errors: string
  agent: string
}

/** What the index keeps of each session besides its summary. */
interface Entry {
  summary: SessionSummary
  titles: string[]
  startedAt: number
}

type ContainsField = 'url' | 'identity' | 'browser' | 'os' | 'device' | 'error'

const CONTAINS_FIELDS: ContainsField[] = ['url', 'identity', 'browser', 'os', 'device', 'error']
const FACET_KEYS = 6
const FACET_VALUES = 5
const SUGGESTIONS = 10

export interface SessionIndexOptions {
  /** Page titles of a session, for upserts that do not pass them (the collector's). */
  titlesOf?: (id: string) => string[]
}

/**
 * The in-memory index of every session. Each kind of term goes to the structure that answers
 * it best: exact tags and string tags to hash maps of sets, "contains" fields to the distinct
 * values they hold, numbers and dates to sorted columns, and bare words to MiniSearch for
 * prefix and fuzzy matching. `shared/matchSession.ts` says what each term means; the
 * property test checks these structures against it. `upsert` keeps everything current.
 */
export class SessionIndex {
  private readonly entries = new Map<string, Entry>()
  /** Tag key (lower case) → its values → sessions. */
  private readonly tagValues = new Map<string, ValueSets>()
  /** Tag key (lower case) → sessions that have it, and the key as first seen. */
  private readonly tagKeys = new Map<string, { display: string; ids: Set<string> }>()
  /**
   * Numeric and date values of each tag key as written, for comparisons; a query reaches
   * every spelling of its key (`plan`, `Plan`) through the lower-case map.
   */
  private readonly tagNumbers = new Map<string, Map<string, SortedColumn>>()
  private readonly tagDates = new Map<string, Map<string, SortedColumn>>()
  private readonly stringTags = new ValueSets()
  private readonly sites = new ValueSets()
  private readonly fields = new Map<ContainsField, ValueSets>(
    CONTAINS_FIELDS.map((f) => [f, new ValueSets()]),
  )
  private readonly ranges = {
    startedAt: new SortedColumn(),
    duration: new SortedColumn(),
    pages: new SortedColumn(),
  }
  private readonly text = new MiniSearch<TextDocument>({
    fields: ['tags', 'identity', 'urls', 'titles', 'errors', 'agent'],
    searchOptions: { prefix: true, fuzzy: 0.2, combineWith: 'AND' },
  })
  private changes = 0

  constructor(private readonly options: SessionIndexOptions = {}) {}

  get size(): number {
    return this.entries.size
  }

  /** Grows with every change, so a caller can tell cheaply whether to search again. */
  get version(): number {
    return this.changes
  }

  /** Adds a session, or replaces what the index knew of it. */
  upsert(summary: SessionSummary, titles?: string[]): void {
    const id = summary.id
    const previous = this.entries.get(id)
    if (previous) this.removeTerms(previous)

    const entry: Entry = {
      summary,
      titles: titles ?? this.options.titlesOf?.(id) ?? [],
      startedAt: Date.parse(summary.startedAt),
    }
    this.entries.set(id, entry)
    this.addTerms(entry)

    const document = toTextDocument(entry)
    if (previous) this.text.replace(document)
    else this.text.add(document)
    this.changes++
  }

  /** Sessions a query matches, in the order asked. Throws QuerySyntaxError when malformed. */
  search(query: string, sort: SortOrder = 'newest'): SessionSummary[] {
    const { root } = parseQuery(query)
    const ids = root === null ? this.entries.keys() : this.evaluate(root)
    const found = [...ids].map((id) => this.entries.get(id)!)
    const exact = sort === 'relevance' ? this.exactHits(root) : null
    return sortEntries(found, sort, exact).map((e) => e.summary)
  }

  /** Completions for the last word of a query: tag keys first, then values with counts. */
  suggest(query: string): Suggestion[] {
    const { before, lead, key, partial } = splitLastWord(query)
    const complete = (term: string): string => `${before}${lead}${term}`
    const wanted = partial.toLowerCase()

    if (key === null) {
      const keys = [...this.tagKeys.values()]
        .filter((k) => k.display.toLowerCase().startsWith(wanted))
        .sort((a, b) => b.ids.size - a.ids.size || a.display.localeCompare(b.display))
        .slice(0, SUGGESTIONS)
        .map((k): Suggestion => {
          const written = formatTerm(k.display, 'x')?.slice(0, -1) ?? `${k.display}:`
          return { kind: 'key', label: k.display, query: complete(written), count: k.ids.size }
        })
      const fields = [STRING_TAG_KEY, HAS_KEY, ...FIELDS]
        .filter((f) => wanted !== '' && f.startsWith(wanted))
        .map((f): Suggestion => ({
          kind: 'field',
          label: `${f}:`,
          query: complete(`${f}:`),
          count: null,
        }))
      return [...keys, ...fields].slice(0, SUGGESTIONS)
    }

    const values = this.valuesOf(key)
    if (!values) return []
    return [...values.values()]
      .filter((v) => v.display.toLowerCase().startsWith(wanted))
      .sort((a, b) => b.ids.size - a.ids.size || a.display.localeCompare(b.display))
      .slice(0, SUGGESTIONS)
      .flatMap((v): Suggestion[] => {
        const term = formatTerm(key, v.display)
        if (!term) return []
        const value = term.slice(term.indexOf(':') + 1)
        return [
          {
            kind: 'value',
            label: v.display,
            query: complete(`${key}:${value}`),
            count: v.ids.size,
          },
        ]
      })
  }

  /** The most used tag keys among a query's results, with their most frequent values. */
  facets(query: string): Facet[] {
    const { root } = parseQuery(query)
    const ids = root === null ? null : this.evaluate(root)

    const keyCounts = new Map<string, Map<string, number>>()
    const count = (key: string, value: string): void => {
      let values = keyCounts.get(key)
      if (!values) keyCounts.set(key, (values = new Map()))
      values.set(value, (values.get(value) ?? 0) + 1)
    }
    if (ids === null) {
      for (const [key, sets] of this.tagValues) {
        const values = new Map<string, number>()
        for (const v of sets.values()) values.set(v.display, v.ids.size)
        keyCounts.set(this.tagKeys.get(key)!.display, values)
      }
      const strings = new Map<string, number>()
      for (const v of this.stringTags.values()) strings.set(v.display, v.ids.size)
      if (strings.size > 0) keyCounts.set(STRING_TAG_KEY, strings)
    } else {
      for (const id of ids) {
        const { summary } = this.entries.get(id)!
        for (const [k, v] of Object.entries(summary.tags)) count(k, formatTagValue(v))
        for (const t of summary.stringTags) count(STRING_TAG_KEY, t)
      }
    }

    return [...keyCounts]
      .map(([key, values]) => {
        let total = 0
        for (const n of values.values()) total += n
        return { key, values, total }
      })
      .filter((f) => f.values.size < f.total || f.total === 1)
      .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key))
      .slice(0, FACET_KEYS)
      .map(({ key, values, total }): Facet => ({
        key,
        count: total,
        values: [...values]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, FACET_VALUES)
          .flatMap(([value, n]) => {
            const term = formatTerm(key === STRING_TAG_KEY ? null : key, value)
            return term ? [{ value, count: n, term }] : []
          }),
      }))
  }

  private valuesOf(key: string): ValueSets | undefined {
    const lower = key.toLowerCase()
    if (lower === STRING_TAG_KEY) return this.stringTags
    if (lower === 'site') return this.sites
    if (lower.startsWith('#')) return this.tagValues.get(lower.slice(1))
    const field = this.fields.get(lower as ContainsField)
    if (field && lower !== 'url' && lower !== 'error' && lower !== 'identity') return field
    return this.tagValues.get(lower)
  }

  /**
   * The sessions a node matches. A returned set may be one of the index's own: callers
   * copy before changing it.
   */
  private evaluate(node: QueryNode): ReadonlySet<string> {
    switch (node.kind) {
      case 'and': {
        const positive = node.children.filter((c) => c.kind !== 'not')
        const negative = node.children.flatMap((c) => (c.kind === 'not' ? [c.child] : []))
        const sets = positive.map((c) => this.evaluate(c)).sort((a, b) => a.size - b.size)
        const result = new Set(sets.length > 0 ? sets[0] : this.entries.keys())
        for (const set of sets.slice(1)) {
          for (const id of result) if (!set.has(id)) result.delete(id)
          if (result.size === 0) return result
        }
        for (const child of negative) {
          for (const id of this.evaluate(child)) result.delete(id)
        }
        return result
      }
      case 'or': {
        const result = new Set<string>()
        for (const child of node.children) for (const id of this.evaluate(child)) result.add(id)
        return result
      }
      case 'not': {
        const excluded = this.evaluate(node.child)
        const result = new Set<string>()
        for (const id of this.entries.keys()) if (!excluded.has(id)) result.add(id)
        return result
      }
      default:
        return this.matchTerm(node)
    }
  }

  private matchTerm(term: QueryTerm): ReadonlySet<string> {
    switch (term.kind) {
      case 'keyValue': {
        const key = term.key.toLowerCase()
        if (!term.operand) return this.tagValues.get(key)?.exactly(term.value) ?? EMPTY
        const columns = (term.operand.type === 'number' ? this.tagNumbers : this.tagDates).get(key)
        if (!columns) return EMPTY
        const selected = [...columns.values()].map((c) => c.select(term.op, term.operand!.value))
        if (selected.length === 1) return selected[0]!
        return new Set(selected.flatMap((set) => [...set]))
      }
      case 'stringTag':
        return this.stringTags.exactly(term.value)
      case 'has':
        return this.tagKeys.get(term.key.toLowerCase())?.ids ?? EMPTY
      case 'site':
        return this.sites.exactly(term.value)
      case 'field':
        return this.fields.get(term.field)!.containing(term.value)
      case 'range':
        return this.ranges[term.field].select(term.op, term.value)
      case 'text':
        return new Set(this.text.search(term.value).map((r) => r.id as string))
    }
  }

  /** Sessions where every bare word of the query is found as typed, without fuzziness. */
  private exactHits(root: QueryNode | null): Set<string> | null {
    const words = termsOf(root).filter((t) => t.term.kind === 'text' && !t.negated)
    if (words.length === 0) return null
    let hits: Set<string> | null = null as Set<string> | null
    for (const { term } of words) {
      const found = this.text.search(term.kind === 'text' ? term.value : '', {
        prefix: false,
        fuzzy: false,
      })
      const ids = new Set(found.map((r) => r.id as string))
      hits = hits === null ? ids : new Set([...hits].filter((id: string) => ids.has(id)))
    }
    return hits
  }

  private addTerms({ summary: s, startedAt }: Entry): void {
    for (const [key, value] of Object.entries(s.tags)) {
      const number = comparableOf(value, 'number')
      if (number !== null) columnOf(this.tagNumbers, key).set(s.id, number)
      const date = comparableOf(value, 'date')
      if (date !== null) columnOf(this.tagDates, key).set(s.id, date)
    }
    for (const [lower, key, value] of distinctTags(s)) {
      let holders = this.tagKeys.get(lower)
      if (!holders) this.tagKeys.set(lower, (holders = { display: key, ids: new Set() }))
      holders.ids.add(s.id)

      let values = this.tagValues.get(lower)
      if (!values) this.tagValues.set(lower, (values = new ValueSets()))
      values.add(value, s.id)
    }
    for (const tag of s.stringTags) this.stringTags.add(tag, s.id)
    if (s.site !== null) this.sites.add(s.site, s.id)
    for (const field of CONTAINS_FIELDS) {
      for (const text of fieldTexts(s, field)) this.fields.get(field)!.add(text, s.id)
    }
    this.ranges.startedAt.set(s.id, startedAt)
    this.ranges.duration.set(s.id, rangeValueOf(s, 'duration'))
    this.ranges.pages.set(s.id, rangeValueOf(s, 'pages'))
  }

  private removeTerms({ summary: s }: Entry): void {
    for (const key of Object.keys(s.tags)) {
      this.tagNumbers.get(key.toLowerCase())?.get(key)?.delete(s.id)
      this.tagDates.get(key.toLowerCase())?.get(key)?.delete(s.id)
    }
    for (const [lower, , value] of distinctTags(s)) {
      const holders = this.tagKeys.get(lower)
      holders?.ids.delete(s.id)
      if (holders?.ids.size === 0) this.tagKeys.delete(lower)

      const values = this.tagValues.get(lower)
      values?.delete(value, s.id)
      if (values?.distinct === 0) this.tagValues.delete(lower)
    }
    for (const tag of s.stringTags) this.stringTags.delete(tag, s.id)
    if (s.site !== null) this.sites.delete(s.site, s.id)
    for (const field of CONTAINS_FIELDS) {
      for (const text of fieldTexts(s, field)) this.fields.get(field)!.delete(text, s.id)
    }
  }
}

function columnOf(columns: Map<string, Map<string, SortedColumn>>, key: string): SortedColumn {
  let spellings = columns.get(key.toLowerCase())
  if (!spellings) columns.set(key.toLowerCase(), (spellings = new Map()))
  let column = spellings.get(key)
  if (!column) spellings.set(key, (column = new SortedColumn()))
  return column
}

/**
 * A session's tags as (lower-case key, key, value text), each pair once: `plan:pro` and
 * `Plan:PRO` on one session land in the same set, and must leave it only once.
 */
function distinctTags(s: SessionSummary): [string, string, string][] {
  const seen = new Set<string>()
  const result: [string, string, string][] = []
  for (const [key, value] of Object.entries(s.tags)) {
    const text = formatTagValue(value)
    const pair = `${key.toLowerCase()}\u0000${text.toLowerCase()}`
    if (seen.has(pair)) continue
    seen.add(pair)
    result.push([key.toLowerCase(), key, text])
  }
  return result
}

function toTextDocument({ summary: s, titles }: Entry): TextDocument {
  const tagText = [
    ...Object.entries(s.tags).map(([k, v]) => `${k} ${formatTagValue(v)}`),
    ...s.stringTags,
  ]
  return {
    id: s.id,
    tags: tagText.join(' \n'),
    identity: s.identity ?? '',
    urls: s.urls.join(' '),
    titles: titles.join(' \n'),
    errors: s.errors.join(' \n'),
    agent: [s.browser, s.os, s.device].filter(Boolean).join(' '),
  }
}

function sortEntries(entries: Entry[], sort: SortOrder, exact: Set<string> | null): Entry[] {
  const newest = (a: Entry, b: Entry): number =>
    b.startedAt - a.startedAt || (a.summary.id < b.summary.id ? -1 : 1)
  switch (sort) {
    case 'oldest':
      return entries.sort((a, b) => -newest(a, b))
    case 'longest':
      return entries.sort((a, b) => b.summary.durationMs - a.summary.durationMs || newest(a, b))
    case 'pages':
      return entries.sort((a, b) => b.summary.pages - a.summary.pages || newest(a, b))
    case 'relevance':
      if (exact) {
        const rank = (e: Entry): number => (exact.has(e.summary.id) ? 0 : 1)
        return entries.sort((a, b) => rank(a) - rank(b) || newest(a, b))
      }
      return entries.sort(newest)
    case 'newest':
      return entries.sort(newest)
  }
}
