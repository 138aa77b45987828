import { Replayer } from '@rrweb/replay'
import type { FromPlayerMessage, ToPlayerMessage } from '../../../shared/playerProtocol'
import { EventType } from '../../../shared/wire'

type ReplayerEvents = ConstructorParameters<typeof Replayer>[0]
type RecordedEvent = { type: number; timestamp: number; data?: { href?: unknown } }

/** How often, while playing, the UI hears where the replay is. */
const REPORT_EVERY_MS = 100

/**
 * One Replayer at a time over the events the UI loaded, and the frame's view of it. Times
 * cross the frame as epoch milliseconds; the Replayer counts from its first loaded event.
 */
export function createPlayback(
  viewport: HTMLDivElement,
  post: (message: FromPlayerMessage) => void,
): { handle(message: ToPlayerMessage): void } {
  let replayer: Replayer | null = null
  let startTs = 0
  let endTs = 0
  let playing = false
  /** The moment a seek asked for while paused: what the UI shows, not rrweb's extra 1 ms. */
  let pausedAtTs: number | null = null
  /** Played to the end: a live session's new events play on as they arrive. */
  let caughtUp = false
  let skipping = false
  let frame = 0
  let lastReport = 0
  let recorded = { width: 1024, height: 768 }
  let pages: { ts: number; href: string }[] = []
  let settings = { speed: 1, skipInactive: true, inactivePeriodThreshold: 10_000 }

  new ResizeObserver(fitToStage).observe(document.documentElement)

  function handle(message: ToPlayerMessage): void {
    switch (message.kind) {
      case 'load':
        return load(message.events, message.atTs, message.play)
      case 'append':
        return append(message.events)
      case 'play':
        return play(message.atTs)
      case 'pause':
        return pause(message.atTs)
      case 'speed':
        settings = { ...settings, speed: message.speed }
        return replayer?.setConfig({ speed: message.speed })
      case 'skip-inactive':
        settings = {
          ...settings,
          skipInactive: message.on,
          inactivePeriodThreshold: message.thresholdMs,
        }
        return replayer?.setConfig({
          skipInactive: message.on,
          inactivePeriodThreshold: message.thresholdMs,
        })
    }
  }

  function load(events: RecordedEvent[], atTs: number, autoplay: boolean): void {
    replayer?.destroy()
    pages = []
    caughtUp = false
    noteEvents(events)

    replayer = new Replayer(events as ReplayerEvents, {
      root: viewport,
      ...settings,
      mouseTail: false,
      triggerFocus: false,
      showWarning: false,
      // Never: it would let recorded canvas content run script-like code in the replay.
      UNSAFE_replayCanvas: false,
    })
    const meta = replayer.getMetaData()
    startTs = meta.startTime
    endTs = meta.endTime

    replayer.on('resize', (size) => {
      recorded = size as typeof recorded
      fitToStage()
    })
    replayer.on('finish', () => {
      playing = false
      caughtUp = true
      report()
      post({ kind: 'finish', ts: endTs })
    })
    replayer.on('skip-start', () => (skipping = true))
    replayer.on('skip-end', () => (skipping = false))

    if (autoplay) play(atTs)
    else pause(atTs)
  }

  function append(events: RecordedEvent[]): void {
    if (!replayer) return
    noteEvents(events)
    const previousEndTs = endTs
    const current = replayer
    for (const event of events) current.addEvent(event as ReplayerEvents[number] & object)
    // rrweb adds events in a microtask each; this one runs after them.
    void Promise.resolve().then(() => {
      if (current !== replayer) return
      endTs = Math.max(endTs, current.getMetaData().endTime)
      if (caughtUp && endTs > previousEndTs) play(previousEndTs)
    })
  }

  function noteEvents(events: RecordedEvent[]): void {
    for (const e of events) {
      if (e.type === EventType.Meta && typeof e.data?.href === 'string') {
        pages.push({ ts: e.timestamp, href: e.data.href })
      }
    }
  }

  function play(atTs?: number): void {
    if (!replayer) return
    const offset = atTs === undefined ? replayer.getCurrentTime() : atTs - startTs
    // At the end, play starts over.
    replayer.play(offset >= endTs - startTs ? 0 : Math.max(0, offset))
    playing = true
    pausedAtTs = null
    caughtUp = false
    cancelAnimationFrame(frame)
    frame = requestAnimationFrame(tick)
  }

  function pause(atTs?: number): void {
    if (!replayer) return
    playing = false
    caughtUp = false
    cancelAnimationFrame(frame)
    pausedAtTs = atTs ?? null
    if (atTs === undefined) {
      replayer.pause()
    } else {
      // rrweb applies the events strictly before the offset; one more millisecond shows
      // those at the moment asked for too, the last event included.
      replayer.pause(Math.max(0, atTs - startTs) + 1)
    }
    report()
  }

  function tick(now: number): void {
    if (!playing) return
    if (now - lastReport >= REPORT_EVERY_MS) {
      lastReport = now
      report()
    }
    frame = requestAnimationFrame(tick)
  }

  function report(): void {
    if (!replayer) return
    const ts = pausedAtTs ?? Math.min(startTs + replayer.getCurrentTime(), endTs)
    post({ kind: 'state', ts, playing, href: hrefAt(ts), skipping })
  }

  function hrefAt(ts: number): string {
    let href = ''
    for (const page of pages) {
      if (page.ts > ts) break
      href = page.href
    }
    return href.slice(0, 4096)
  }

  /** Scales the recorded viewport to the frame; the replay iframe keeps its recorded size. */
  function fitToStage(): void {
    const scale = Math.min(innerWidth / recorded.width, innerHeight / recorded.height, 1)
    viewport.style.width = `${recorded.width}px`
    viewport.style.height = `${recorded.height}px`
    // Centred on whole pixels, so an unscaled replay is as sharp as the page was.
    viewport.style.left = `${Math.round((innerWidth - recorded.width * scale) / 2)}px`
    viewport.style.top = `${Math.round((innerHeight - recorded.height * scale) / 2)}px`
    viewport.style.transform = `scale(${scale})`
  }

  return { handle }
}
