import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  EncodedPacket,
  EncodedVideoPacketSource,
  FilePathTarget,
  Output,
  WebMOutputFormat,
} from 'mediabunny'
import { chromium } from 'playwright-core'
import type { PageEvents, SessionDetail } from '../../shared/api'
import type { CaptureGlobals, FrameToEncode } from '../../shared/videoCapture'
import { builtVideoEncoder } from '../paths'
import { replayOffsetAt, shortenInactivity } from '../../shared/inactivity'
import { findChromium } from './findChromium'
import { writeHtmlReplay } from './writeHtmlReplay'

export interface VideoOptions {
  /** Replay speed: 2 makes the video half as long as the (shortened) session. */
  speed: number
  fps?: number
  onProgress?: (frame: number, frames: number) => void
}

export interface VideoResult {
  frames: number
  durationMs: number
}

/**
 * Renders a session to a WebM video, inactivity shortened. The replay runs in headless
 * Chromium from the same self-contained page `export --html` writes, with the network
 * off; each frame is a seek to an exact moment and a screenshot, so the result does not
 * depend on how fast the machine is. Chromium's own VP8 encoder (WebCodecs) encodes the
 * frames and mediabunny writes the WebM container.
 */
export async function writeVideoReplay(
  detail: SessionDetail,
  pages: PageEvents[],
  file: string,
  options: VideoOptions,
): Promise<VideoResult> {
  // Functions passed to evaluate() run inside the page, where these globals live.
  const fps = options.fps ?? 15
  const executablePath = findChromium('export --video')
  const events = pages.flatMap((p) => p.events) as { type: number; timestamp: number }[]
  const timeline = shortenInactivity(events)
  const frames = Math.max(1, Math.ceil((timeline.duration / options.speed / 1000) * fps))
  const size = videoSize(events)

  const work = await mkdtemp(join(tmpdir(), 'replaydesk-video-'))
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  })
  const partial = `${file}.partial`
  try {
    const pageFile = join(work, 'session.html')
    await writeHtmlReplay(detail, pages, pageFile)
    const context = await browser.newContext({ viewport: size })
    await context.setOffline(true)
    await context.route(/^(?!file:|data:|blob:|about:)/, (route) => route.abort())

    const player = await context.newPage()
    await player.goto(`${pathToFileURL(pageFile).href}#capture`)
    await player.waitForFunction(
      () => (globalThis as CaptureGlobals).replaydeskCapture !== undefined,
    )

    const encoderFile = join(work, 'encoder.html')
    await writeFile(encoderFile, '<!doctype html><title>encoder</title>')
    const encoder = await context.newPage()
    await encoder.goto(pathToFileURL(encoderFile).href)
    await encoder.addScriptTag({ path: builtVideoEncoder() })
    await encoder.evaluate(
      ([s, f]) => (globalThis as CaptureGlobals).replaydeskEncoder!.start(s, f),
      [size, fps] as const,
    )

    const output = new Output({
      format: new WebMOutputFormat(),
      target: new FilePathTarget(partial),
    })
    const track = new EncodedVideoPacketSource('vp8')
    output.addVideoTrack(track, { frameRate: fps })
    await output.start()
    let first = true
    const drain = async () => {
      for (const chunk of await encoder.evaluate(() =>
        (globalThis as CaptureGlobals).replaydeskEncoder!.take(),
      )) {
        const packet = new EncodedPacket(
          Buffer.from(chunk.data, 'base64'),
          chunk.key ? 'key' : 'delta',
          chunk.timestamp / 1e6,
          chunk.duration / 1e6,
        )
        const config = first
          ? ((await encoder.evaluate(() =>
              (globalThis as CaptureGlobals).replaydeskEncoder!.decoderConfig(),
            )) as {
              codec: string
            })
          : undefined
        await track.add(packet, config ? { decoderConfig: config } : undefined)
        first = false
      }
    }

    for (let frame = 0; frame < frames; frame++) {
      const at = replayOffsetAt(timeline, (frame / fps) * 1000 * options.speed)
      await player.evaluate((ms) => (globalThis as CaptureGlobals).replaydeskCapture!.seek(ms), at)
      const jpeg = await player.screenshot({ type: 'jpeg', quality: 85 })
      const toEncode: FrameToEncode = {
        jpeg: jpeg.toString('base64'),
        timestamp: Math.round((frame * 1e6) / fps),
        duration: Math.round(1e6 / fps),
        key: frame % (fps * 2) === 0,
      }
      await encoder.evaluate(
        (f) => (globalThis as CaptureGlobals).replaydeskEncoder!.encode(f),
        toEncode,
      )
      if (frame % 10 === 9) await drain()
      options.onProgress?.(frame + 1, frames)
    }
    await encoder.evaluate(() => (globalThis as CaptureGlobals).replaydeskEncoder!.flush())
    await drain()
    await output.finalize()
    await rename(partial, file)
    return { frames, durationMs: (frames / fps) * 1000 }
  } finally {
    await browser.close()
    await rm(work, { recursive: true, force: true })
    await rm(partial, { force: true })
  }
}

/** The recorded viewport, even-sized for VP8 and at most 1920×1080 (the page scales to fit). */
function videoSize(events: { type: number; data?: unknown }[]): { width: number; height: number } {
  const meta = events.find((e) => e.type === 4)?.data as { width?: number; height?: number }
  const even = (n: number, max: number) => Math.max(2, Math.min(max, Math.floor(n / 2) * 2))
  return { width: even(meta?.width ?? 1280, 1920), height: even(meta?.height ?? 720, 1080) }
}
