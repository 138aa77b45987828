/**
 * The two page-side helpers `export --video` drives in headless Chromium: the exported
 * player's frame-by-frame control (`window.replaydeskCapture`, in #capture mode) and the
 * encoder page (`window.replaydeskEncoder`, renderer/standalone/videoEncoder.ts).
 */
export interface CaptureControl {
  totalTime: number
  /** Shows the replay at `ms` and resolves once it is painted. */
  seek(ms: number): Promise<void>
}

export interface FrameToEncode {
  /** A JPEG screenshot, base64. */
  jpeg: string
  /** Microseconds. */
  timestamp: number
  duration: number
  key: boolean
}

export interface EncodedChunk {
  key: boolean
  timestamp: number
  duration: number
  /** VP8 bytes, base64. */
  data: string
}

export interface EncoderControl {
  start(size: { width: number; height: number }, fps: number): void
  encode(frame: FrameToEncode): Promise<void>
  /** Chunks encoded since the last call. */
  take(): EncodedChunk[]
  flush(): Promise<void>
  /** The decoder configuration the encoder reported with its first chunk. */
  decoderConfig(): unknown
}

export interface CaptureGlobals {
  replaydeskCapture?: CaptureControl
  replaydeskEncoder?: EncoderControl
}
