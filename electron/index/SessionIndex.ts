import type { Facet, SessionSummary, SortOrder, Suggestion } from '../../shared/api'
import { toComparable, readFieldTexts } from '../../shared/matchSession'
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
import { SortedColumn, type ColumnStep } from './SortedColumn'
import { countHolders, EMPTY, ValueSets, type Holders } from './ValueSets'
import { WordIndex } from './WordIndex'

/** What the index keeps of each session besides its summary. */
interface Entry {
  summary: SessionSummary
  titles: string[]
  startedAt: number
}

type ContainsField = 'url' | 'identity' | 'browser' | 'os' | 'device' | 'error'
type Order = Exclude<SortOrder, 'relevance'>

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
 * values they hold, numbers and dates to sorted columns, and bare words to a word index on
 * MiniSearch's radix tree for prefix and fuzzy matching. `shared/matchSession.ts` says what
 * each term means; the property test checks these structures against it. Sets are shared,
 * never copied, where a term's answer is one of them: a returned set is read only.
 *
 * TODO(#5): past a few hundred thousand sessions, sets of string ids cost seconds to build
 * and hundreds of milliseconds to intersect; dense numeric ids in sorted typed arrays (or a
 * build in a worker) would be the next step.
 */
export class SessionIndex {
  private readonly entries = new Map<string, Entry>()
  /** Tag key (lower case) → its values → sessions. `plan` and `Plan` share one. */
  private readonly tagValues = new Map<string, ValueSets>()
  /** Tag key (lower case) → the key as first seen and how many sessions have it. */
  private readonly tagKeys = new Map<string, { display: string; count: number }>()
  /** Numeric and date values of each tag key, built from tagValues when compared. */
  private readonly tagColumns = new Map<string, SortedColumn>()
  private readonly stringTags = new ValueSets()
  private readonly sites = new ValueSets()
  private readonly fields = new Map<ContainsField, ValueSets>(
    CONTAINS_FIELDS.map((f) => [f, new ValueSets()]),
  )
  private readonly ranges = {
    startedAt: this.sessionColumn((e) => e.startedAt),
    duration: this.sessionColumn((e) => e.summary.durationMs),
    pages: this.sessionColumn((e) => e.summary.pages),
  }
  private readonly words = new WordIndex((key) => this.tagValues.get(key)?.all() ?? EMPTY)
  private changes = 0
  /** Every session in each order asked for so far, kept in order as sessions arrive. */
  private readonly orders = new Map<Order, Entry[]>()

  constructor(private readonly options: SessionIndexOptions = {}) {}

  get size(): number {
    return this.entries.size
  }

  has(id: string): boolean {
    return this.entries.has(id)
  }

  /** Grows with every change, so a caller can tell cheaply whether to search again. */
  get version(): number {
    return this.changes
  }

  /** Adds a session, or replaces what the index knew of it. */
  upsert(summary: SessionSummary, titles?: string[]): void {
    const id = summary.id
    const next: Entry = {
      summary,
      titles: titles ?? this.options.titlesOf?.(id) ?? [],
      startedAt: Date.parse(summary.startedAt),
    }
    const previous = this.entries.get(id)
    if (previous) {
      this.removeTerms(previous)
      this.words.remove(id, collectTexts(previous))
      this.keepOrders(previous, next)
      // The entry object stays, so the lists kept in order keep pointing at it.
      Object.assign(previous, next)
    } else {
      this.entries.set(id, next)
      for (const [order, list] of this.orders) insertInOrder(list, next, makeComparator(order))
    }

    const entry = previous ?? next
    this.addTerms(entry)
    this.words.add(id, collectTexts(entry))
    for (const column of Object.values(this.ranges)) column.invalidate()
    this.changes++
  }

  /** Forgets a deleted session. */
  remove(id: string): void {
    const previous = this.entries.get(id)
    if (!previous) return
    this.removeTerms(previous)
    this.words.remove(id, collectTexts(previous))
    this.entries.delete(id)
    // Kept orders hold the entry; they are rebuilt when next asked.
    this.orders.clear()
    for (const column of Object.values(this.ranges)) column.invalidate()
    this.changes++
  }

  /**
   * A session changed: a kept order stays valid unless its sort key moved. A later batch
   * rarely moves a session's start, so `newest` usually survives a stream of updates;
   * `longest` and `pages` are rebuilt when next asked.
   */
  private keepOrders(before: Entry, after: Entry): void {
    for (const order of [...this.orders.keys()]) {
      if (readSortKey(order, before) !== readSortKey(order, after)) this.orders.delete(order)
    }
  }

  /** Sessions a query matches, in the order asked. Throws QuerySyntaxError when malformed. */
  search(query: string, sort: SortOrder = 'newest'): SessionSummary[] {
    return this.page(query, sort, 0, Infinity).sessions
  }

  /**
   * One page of the sessions a query matches, and how many match in all. A large answer is
   * read off the whole list kept in order, stopping once the page is full, so the first
   * page of 100,000 results costs about as much as the first page of 100; a small answer is
   * sorted. With `relevance`, sessions holding every bare word exactly come first.
   */
  page(
    query: string,
    sort: SortOrder,
    offset: number,
    limit: number,
  ): { sessions: SessionSummary[]; total: number } {
    const { root } = parseQuery(query)
    const order = sort === 'relevance' ? 'newest' : sort
    const ids = root === null ? null : this.matcherOf(root)
    const exact = sort === 'relevance' ? this.exactHits(root) : null
    const total = ids === null ? this.entries.size : ids.size
    const end = offset + limit

    // Each pass takes, in order, the matches of one rank: exact hits first, then the rest.
    const passes: ((id: string) => boolean)[] = exact
      ? [(id) => exact.has(id), (id) => !exact.has(id)]
      : [() => true]
    const matches = ids === null ? () => true : (id: string) => ids.has(id)

    let ranked: Entry[]
    if (ids === null || ids.size > this.entries.size / 16) {
      ranked = []
      const ordered = this.ordered(order)
      for (const pass of passes) {
        for (const e of ordered) {
          if (ranked.length >= end) break
          if (matches(e.summary.id) && pass(e.summary.id)) ranked.push(e)
        }
      }
    } else {
      const found: Entry[] = []
      for (const id of ids.ids()) found.push(this.entries.get(id)!)
      found.sort(makeComparator(order))
      ranked = passes.flatMap((pass) => found.filter((e) => pass(e.summary.id)))
    }
    return { sessions: ranked.slice(offset, end).map((e) => e.summary), total }
  }

  /** Completions for the last word of a query: tag keys first, then values with counts. */
  suggest(query: string): Suggestion[] {
    const { before, lead, key, partial } = splitLastWord(query)
    const complete = (term: string): string => `${before}${lead}${term}`
    const wanted = partial.toLowerCase()

    if (key === null) {
      const keys = [...this.tagKeys.values()]
        .filter((k) => k.display.toLowerCase().startsWith(wanted))
        .sort((a, b) => b.count - a.count || a.display.localeCompare(b.display))
        .slice(0, SUGGESTIONS)
        .map((k): Suggestion => {
          const written = formatTerm(k.display, 'x')?.slice(0, -1) ?? `${k.display}:`
          return { kind: 'key', label: k.display, query: complete(written), count: k.count }
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
      .sort(
        (a, b) =>
          countHolders(b.holders) - countHolders(a.holders) || a.display.localeCompare(b.display),
      )
      .slice(0, SUGGESTIONS)
      .flatMap((v): Suggestion[] => {
        const term = formatTerm(key, v.display)
        if (!term) return []
        const value = term.slice(term.indexOf(':') + 1)
        const label = v.display
        return [
          {
            kind: 'value',
            label,
            query: complete(`${key}:${value}`),
            count: countHolders(v.holders),
          },
        ]
      })
  }

  /**
   * The most used tag keys among a query's results, with their most frequent values. Keys
   * whose every value is different (emails, ids) say nothing about a group and are left
   * out before anything is counted. Counting walks each key's value sets, not the results,
   * so a query matching everything costs what one matching a few does.
   */
  facets(query: string): Facet[] {
    const { root } = parseQuery(query)
    const ids = root === null ? null : this.evaluate(root)
    const countIn = (holders: Holders | ReadonlySet<string>): number => {
      if (typeof holders === 'string') return ids === null || ids.has(holders) ? 1 : 0
      if (ids === null) return holders.size
      let n = 0
      const [small, large] = holders.size <= ids.size ? [holders, ids] : [ids, holders]
      for (const id of small) if (large.has(id)) n++
      return n
    }

    const sources: { key: string; shown: string | null; sets: ValueSets }[] = [
      ...[...this.tagValues].map(([key, sets]) => ({
        key,
        shown: this.tagKeys.get(key)!.display,
        sets,
      })),
      { key: STRING_TAG_KEY, shown: null, sets: this.stringTags },
    ]
    const result: Facet[] = []
    for (const { shown, sets } of sources) {
      const holders = countIn(sets.all())
      if (holders === 0) continue
      if (shown !== null && sets.distinct === this.tagKeys.get(shown.toLowerCase())!.count) {
        if (holders > 1) continue
      }
      const values = [...sets.values()]
        .map((v) => ({ display: v.display, count: countIn(v.holders) }))
        .filter((v) => v.count > 0)
        .sort((a, b) => b.count - a.count || a.display.localeCompare(b.display))
        .slice(0, FACET_VALUES)
        .flatMap(({ display, count }) => {
          const term = formatTerm(shown, display)
          return term ? [{ value: display, count, term }] : []
        })
      result.push({ key: shown ?? STRING_TAG_KEY, count: holders, values })
    }
    return result
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
      .slice(0, FACET_KEYS)
  }

  private valuesOf(key: string): ValueSets | undefined {
    const lower = key.toLowerCase()
    if (lower === STRING_TAG_KEY) return this.stringTags
    if (lower === 'site') return this.sites
    if (lower.startsWith('#')) return this.tagValues.get(lower.slice(1))
    if (lower === 'browser' || lower === 'os' || lower === 'device') {
      return this.fields.get(lower)
    }
    return this.tagValues.get(lower)
  }

  /**
   * The sessions a query matches, as a test and a count. An AND at the top is not built as
   * a set: a page needs only its first matches in order, and its count costs one pass over
   * the smallest term's sessions, so a large intersection allocates nothing.
   */
  private matcherOf(root: QueryNode): {
    size: number
    has(id: string): boolean
    ids(): Iterable<string>
  } {
    if (root.kind !== 'and') {
      const set = this.evaluate(root)
      return { size: set.size, has: (id) => set.has(id), ids: () => set }
    }
    const positive = root.children.filter((c) => c.kind !== 'not')
    const negative = root.children.flatMap((c) => (c.kind === 'not' ? [c.child] : []))
    const sets = positive.map((c) => this.evaluate(c)).sort((a, b) => a.size - b.size)
    const excluded = negative.map((c) => this.evaluate(c))
    const others = sets.slice(1)
    const has = (id: string): boolean =>
      others.every((s) => s.has(id)) && !excluded.some((s) => s.has(id))
    const base = (): Iterable<string> => (sets.length > 0 ? sets[0]! : this.entries.keys())
    let size = 0
    for (const id of base()) if (has(id)) size++
    return {
      size,
      has: (id) => (sets.length === 0 || sets[0]!.has(id)) && has(id),
      ids: function* () {
        for (const id of base()) if (has(id)) yield id
      },
    }
  }

  /** The sessions a node matches; possibly one of the index's own sets: read only. */
  private evaluate(node: QueryNode): ReadonlySet<string> {
    switch (node.kind) {
      case 'and': {
        const positive = node.children.filter((c) => c.kind !== 'not')
        const negative = node.children.flatMap((c) => (c.kind === 'not' ? [c.child] : []))
        const sets = positive.map((c) => this.evaluate(c)).sort((a, b) => a.size - b.size)
        const excluded = negative.map((c) => this.evaluate(c))
        const others = sets.slice(1)
        const result = new Set<string>()
        for (const id of sets.length > 0 ? sets[0]! : this.entries.keys()) {
          if (others.every((s) => s.has(id)) && !excluded.some((s) => s.has(id))) result.add(id)
        }
        return result
      }
      case 'or': {
        const sets = node.children.map((c) => this.evaluate(c))
        const result = new Set(sets.reduce((a, b) => (a.size >= b.size ? a : b)))
        for (const set of sets) for (const id of set) result.add(id)
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
        if (!this.tagValues.has(key)) return EMPTY
        return this.tagColumn(key, term.operand.type).select(term.op, term.operand.value)
      }
      case 'stringTag':
        return this.stringTags.exactly(term.value)
      case 'has':
        return this.tagValues.get(term.key.toLowerCase())?.all() ?? EMPTY
      case 'site':
        return this.sites.exactly(term.value)
      case 'field':
        return this.fields.get(term.field)!.containing(term.value)
      case 'range':
        return this.ranges[term.field].select(term.op, term.value)
      case 'text':
        return this.words.search(term.value)
    }
  }

  /** A tag key's values that read as numbers (or dates), in order, from its value sets. */
  private tagColumn(key: string, type: 'number' | 'date'): SortedColumn {
    const name = `${type}\u0000${key}`
    let column = this.tagColumns.get(name)
    if (!column) {
      column = new SortedColumn(() => {
        const steps: ColumnStep[] = []
        for (const v of this.tagValues.get(key)?.values() ?? []) {
          const value = toComparable(v.display, type)
          if (value !== null) steps.push([value, v.holders])
        }
        return steps
      })
      this.tagColumns.set(name, column)
    }
    return column
  }

  private sessionColumn(valueOf: (e: Entry) => number): SortedColumn {
    return new SortedColumn(() => {
      const steps: ColumnStep[] = []
      for (const [id, e] of this.entries) steps.push([valueOf(e), id])
      return steps
    })
  }

  private ordered(order: Order): Entry[] {
    const cached = this.orders.get(order)
    if (cached) return cached
    const entries = [...this.entries.values()].sort(makeComparator(order))
    this.orders.set(order, entries)
    return entries
  }

  /** Sessions where every bare word of the query is found as typed, without fuzziness. */
  private exactHits(root: QueryNode | null): ReadonlySet<string> | null {
    const words = termsOf(root).flatMap(({ term, negated }) =>
      term.kind === 'text' && !negated ? [term.value] : [],
    )
    if (words.length === 0) return null
    const sets = words.map((w) => this.words.exact(w)).sort((a, b) => a.size - b.size)
    return new Set([...sets[0]!].filter((id) => sets.every((set) => set.has(id))))
  }

  private addTerms({ summary: s }: Entry): void {
    let keyBefore = ''
    for (const [lower, key, value] of listDistinctTags(s)) {
      const info = this.tagKeys.get(lower)
      if (!info) {
        this.tagKeys.set(lower, { display: key, count: 1 })
        this.words.addKey(lower)
      } else if (lower !== keyBefore) info.count++
      keyBefore = lower

      let values = this.tagValues.get(lower)
      if (!values) this.tagValues.set(lower, (values = new ValueSets()))
      values.add(value, s.id)
      this.invalidateTagColumns(lower)
    }
    for (const tag of s.stringTags) this.stringTags.add(tag, s.id)
    if (s.site !== null) this.sites.add(s.site, s.id)
    for (const field of CONTAINS_FIELDS) {
      for (const text of readFieldTexts(s, field)) this.fields.get(field)!.add(text, s.id)
    }
  }

  private removeTerms({ summary: s }: Entry): void {
    let keyBefore = ''
    for (const [lower, , value] of listDistinctTags(s)) {
      const info = this.tagKeys.get(lower)
      if (info && lower !== keyBefore && --info.count === 0) {
        this.tagKeys.delete(lower)
        this.words.removeKey(lower)
      }
      keyBefore = lower

      const values = this.tagValues.get(lower)
      values?.delete(value, s.id)
      if (values?.distinct === 0) this.tagValues.delete(lower)
      this.invalidateTagColumns(lower)
    }
    for (const tag of s.stringTags) this.stringTags.delete(tag, s.id)
    if (s.site !== null) this.sites.delete(s.site, s.id)
    for (const field of CONTAINS_FIELDS) {
      for (const text of readFieldTexts(s, field)) this.fields.get(field)!.delete(text, s.id)
    }
  }

  private invalidateTagColumns(key: string): void {
    this.tagColumns.get(`number\u0000${key}`)?.invalidate()
    this.tagColumns.get(`date\u0000${key}`)?.invalidate()
  }
}

/**
 * A session's tags as (lower-case key, key, value text), each pair once and grouped by key:
 * `plan:pro` and `Plan:PRO` on one session land in the same set and must leave it once.
 */
function listDistinctTags(s: SessionSummary): [string, string, string][] {
  const seen = new Set<string>()
  const result: [string, string, string][] = []
  for (const [key, value] of Object.entries(s.tags)) {
    const text = formatTagValue(value)
    const pair = `${key.toLowerCase()}\u0000${text.toLowerCase()}`
    if (seen.has(pair)) continue
    seen.add(pair)
    result.push([key.toLowerCase(), key, text])
  }
  return result.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/**
 * The texts bare words search: tag values, string tags, identity, URLs, titles, errors,
 * browser and OS. Tag keys are searched through the word index's key words.
 */
function collectTexts({ summary: s, titles }: Entry): string[] {
  return [
    ...Object.values(s.tags).map(formatTagValue),
    ...s.stringTags,
    s.identity ?? '',
    ...s.urls,
    ...titles,
    ...s.errors,
    [s.browser, s.os, s.device].filter(Boolean).join(' '),
  ]
}

function readSortKey(order: Order, e: Entry): number {
  if (order === 'longest') return e.summary.durationMs
  if (order === 'pages') return e.summary.pages
  return e.startedAt
}

/** Puts a new entry where it belongs in a sorted list: a binary search and one splice. */
function insertInOrder(list: Entry[], entry: Entry, compare: (a: Entry, b: Entry) => number): void {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compare(list[mid]!, entry) <= 0) lo = mid + 1
    else hi = mid
  }
  list.splice(lo, 0, entry)
}

function makeComparator(order: Order): (a: Entry, b: Entry) => number {
  const newest = (a: Entry, b: Entry): number =>
    b.startedAt - a.startedAt || (a.summary.id < b.summary.id ? -1 : 1)
  switch (order) {
    case 'newest':
      return newest
    case 'oldest':
      return (a, b) => newest(b, a)
    case 'longest':
      return (a, b) => b.summary.durationMs - a.summary.durationMs || newest(a, b)
    case 'pages':
      return (a, b) => b.summary.pages - a.summary.pages || newest(a, b)
  }
}
