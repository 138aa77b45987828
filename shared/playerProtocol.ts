import { z } from 'zod'

/**
 * Messages between the UI and the player frame. The UI holds the token and fetches events;
 * the frame holds rrweb's Replayer and nothing else. Each side checks who sent a message and
 * that it has one of these shapes before acting on it. Times are epoch milliseconds.
 */

const recordedEvent = z.looseObject({ type: z.number().int(), timestamp: z.number() })

export const SPEEDS = [1, 2, 4, 8, 16] as const

/** What the UI tells the player. */
export const toPlayerMessage = z.discriminatedUnion('kind', [
  /** Replace what is loaded, show the moment `atTs`, then play or stay paused. */
  z.object({
    kind: z.literal('load'),
    events: z.array(recordedEvent).min(2),
    atTs: z.number(),
    play: z.boolean(),
  }),
  /** More events after those loaded (the stream, or a live session growing). */
  z.object({ kind: z.literal('append'), events: z.array(recordedEvent) }),
  z.object({ kind: z.literal('play'), atTs: z.number().optional() }),
  z.object({ kind: z.literal('pause'), atTs: z.number().optional() }),
  z.object({ kind: z.literal('speed'), speed: z.number().min(1).max(16) }),
  z.object({
    kind: z.literal('skip-inactive'),
    on: z.boolean(),
    thresholdMs: z.number().int().min(1000).max(3_600_000),
  }),
])
export type ToPlayerMessage = z.infer<typeof toPlayerMessage>

/** What the player tells the UI. */
export const fromPlayerMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready') }),
  z.object({
    kind: z.literal('state'),
    ts: z.number(),
    playing: z.boolean(),
    /** The recorded page's URL at this moment: recorded text, render as text. */
    href: z.string().max(4096),
    skipping: z.boolean(),
  }),
  z.object({ kind: z.literal('finish'), ts: z.number() }),
  /** A key pressed while the frame had focus, so shortcuts work wherever focus is. */
  z.object({ kind: z.literal('key'), key: z.string().max(20), shift: z.boolean() }),
])
export type FromPlayerMessage = z.infer<typeof fromPlayerMessage>
