import MiniSearch from 'minisearch'
import SearchableMap from 'minisearch/SearchableMap'
import { addAll, addHolder, EMPTY, readHolders, removeHolder, type Holders } from './ValueSets'

const tokenize = MiniSearch.getDefault('tokenize') as (text: string) => string[]
const processTerm = MiniSearch.getDefault('processTerm') as (term: string) => string | null

/** Edits allowed per letter of a typed word, and at most, as MiniSearch's `fuzzy: 0.2`. */
const FUZZY = 0.2
const MAX_EDITS = 6
/** Words shorter than this match only as typed or as a prefix: one edit would be too loose. */
const MIN_FUZZY_LENGTH = 4

/**
 * Bare words: each word of a session's text, as MiniSearch tokenizes and normalises it,
 * points at the set of sessions that hold it. The words themselves live in MiniSearch's
 * radix tree (SearchableMap), which finds every word with a given prefix or within a few
 * edits of a typed one. A query asks for sessions, not a ranking, so sets of ids replace
 * MiniSearch's scored search: at 100,000 sessions scoring every hit of a common word cost
 * more than the whole rest of a query.
 */
export class WordIndex {
  /** Word → sessions: a hash map, for the lookups every upsert makes. */
  private readonly postings = new Map<string, Holders>()
  /** The same words in a radix tree, for prefix and fuzzy lookups; touched only when a word
   * first appears or last goes. */
  private readonly words = new SearchableMap<Holders>()
  /**
   * Words of tag keys → the keys (lower case). Every session of a site carries the same
   * few keys, so their words would each need a set of every session; instead a key's
   * sessions come from the tag index when a query reaches the key.
   */
  private readonly keyWords = new SearchableMap<Set<string>>()

  constructor(private readonly sessionsWithKey: (key: string) => ReadonlySet<string>) {}

  /** A tag key is in use: bare words reach its sessions. */
  addKey(key: string): void {
    for (const word of splitWords([key])) {
      const keys = this.keyWords.get(word)
      if (keys) keys.add(key)
      else this.keyWords.set(word, new Set([key]))
    }
  }

  removeKey(key: string): void {
    for (const word of splitWords([key])) {
      const keys = this.keyWords.get(word)
      keys?.delete(key)
      if (keys?.size === 0) this.keyWords.delete(word)
    }
  }

  add(id: string, texts: readonly string[]): void {
    for (const word of splitWords(texts)) {
      const before = this.postings.get(word)
      const after = addHolder(before, id)
      if (after === before) continue
      this.postings.set(word, after)
      this.words.set(word, after)
    }
  }

  remove(id: string, texts: readonly string[]): void {
    for (const word of splitWords(texts)) {
      const before = this.postings.get(word)
      if (before === undefined) continue
      const after = removeHolder(before, id)
      if (after === before) continue
      if (after === undefined) {
        this.postings.delete(word)
        this.words.delete(word)
      } else {
        this.postings.set(word, after)
        this.words.set(word, after)
      }
    }
  }

  /**
   * Sessions holding every word of `text`, each word found as typed, as a prefix of a
   * longer word, or within a small number of edits.
   */
  search(text: string): ReadonlySet<string> {
    return this.intersect(text, (word) => {
      const sets = new Set<Holders | ReadonlySet<string>>()
      const keys = new Set<string>()
      for (const [, ids] of this.words.atPrefix(word)) sets.add(ids)
      for (const [, found] of this.keyWords.atPrefix(word)) for (const k of found) keys.add(k)
      if (word.length >= MIN_FUZZY_LENGTH) {
        const edits = Math.min(MAX_EDITS, Math.round(word.length * FUZZY))
        for (const [ids] of this.words.fuzzyGet(word, edits).values()) sets.add(ids)
        for (const [found] of this.keyWords.fuzzyGet(word, edits).values()) {
          for (const k of found) keys.add(k)
        }
      }
      for (const key of keys) sets.add(this.sessionsWithKey(key))
      // One word matched (the usual case for a common word): its own set, not a copy.
      if (sets.size === 1) return readHolders([...sets][0]!)
      const found = new Set<string>()
      for (const ids of sets) addAll(found, ids)
      return found
    })
  }

  /** Sessions holding every word of `text` exactly as typed: these rank first. Read only. */
  exact(text: string): ReadonlySet<string> {
    return this.intersect(text, (word) => {
      const holders = this.postings.get(word)
      const keys = this.keyWords.get(word)
      if (!keys) return holders === undefined ? EMPTY : readHolders(holders)
      const found = new Set<string>()
      if (holders !== undefined) addAll(found, holders)
      for (const key of keys) addAll(found, this.sessionsWithKey(key))
      return found
    })
  }

  /** The sessions matching every word; may be one of the index's own sets: read only. */
  private intersect(
    text: string,
    matches: (word: string) => ReadonlySet<string>,
  ): ReadonlySet<string> {
    const typed = [...splitWords([text])]
    if (typed.length === 0) return EMPTY
    const sets = typed.map(matches).sort((a, b) => a.size - b.size)
    if (sets.length === 1) return sets[0]!
    const result = new Set(sets[0])
    for (const set of sets.slice(1)) {
      for (const id of result) if (!set.has(id)) result.delete(id)
    }
    return result
  }
}

function splitWords(texts: readonly string[]): Set<string> {
  const words = new Set<string>()
  for (const text of texts) {
    for (const token of tokenize(text)) {
      const word = processTerm(token)
      if (word) words.add(word)
    }
  }
  return words
}
