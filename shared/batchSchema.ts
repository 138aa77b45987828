/**
 * The collector's check of a batch (see `wire.ts`). Kept apart from `wire.ts` so the
 * snippet, which only needs the types and constants, does not bundle the schema library.
 */
import { z } from 'zod'
import { parseTagArgument, type TagArgument } from './tags'
import { LIMITS, WIRE_VERSION } from './wire'

const id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'ids are 8 to 64 letters, digits, "-" or "_"')

const time = z.number().finite().nonnegative().max(LIMITS.maxTimestamp)

const size = z.number().int().min(0).max(100_000)

const shortText = (max: number) => z.string().max(max)

export const pageMetaSchema = z.object({
  url: shortText(LIMITS.maxUrlLength),
  title: shortText(1024),
  referrer: shortText(LIMITS.maxUrlLength),
  viewport: z.object({ width: size, height: size }),
  screen: z.object({ width: size, height: size }),
  language: shortText(64),
  timeZone: shortText(64),
  userAgent: shortText(1024),
})

const tagValue = z.unknown().transform((value, ctx) => {
  const parsed = parseTagArgument(value)
  if (parsed.ok && tagCount(parsed.tag) > LIMITS.maxTagKeysPerCommand) {
    ctx.addIssue({
      code: 'custom',
      message: `one tagSession call sets at most ${LIMITS.maxTagKeysPerCommand} keys`,
    })
    return z.NEVER
  }
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason })
    return z.NEVER
  }
  return parsed.tag
})

export const commandSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('tag'), t: time, value: tagValue }),
  z.object({ op: z.literal('identify'), t: time, value: z.string().min(1).max(1024) }),
  z.object({
    op: z.literal('wid'),
    t: time,
    value: z.union([z.string().min(1).max(64), z.number()]),
  }),
])

/** An rrweb event: checked for its envelope only; its content is replayed as hostile data. */
export const eventSchema = z.looseObject({
  type: z.number().int().min(0).max(6),
  timestamp: time,
})

function tagCount(tag: TagArgument): number {
  return typeof tag === 'string' ? 1 : Object.keys(tag).length
}

export const batchSchema = z.object({
  v: z.literal(WIRE_VERSION),
  sid: id,
  tab: id,
  page: id,
  seq: z.number().int().min(0).max(1_000_000),
  /** Sent with each page's first batch. */
  meta: pageMetaSchema.optional(),
  /**
   * Optional: how many batches the snippet's offline queue dropped (too old, or over its
   * size bound) since it last reported. Collectors may ignore it.
   */
  dropped: z.number().int().min(0).max(1_000_000).optional(),
  commands: z
    .array(commandSchema)
    .max(LIMITS.maxCommandsPerBatch)
    .default([])
    .refine(
      (commands) =>
        commands.reduce((n, c) => n + (c.op === 'tag' ? tagCount(c.value) : 0), 0) <=
        LIMITS.maxTagsPerBatch,
      `a batch carries at most ${LIMITS.maxTagsPerBatch} tags`,
    ),
  events: z.array(eventSchema).max(LIMITS.maxEventsPerBatch),
})

export type PageMeta = z.infer<typeof pageMetaSchema>
export type TagCommand = z.infer<typeof commandSchema>
export type Batch = z.infer<typeof batchSchema>
/** What the snippet builds: the batch before the collector has parsed and checked it. */
export type BatchInput = z.input<typeof batchSchema>
