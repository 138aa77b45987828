/**
 * The encoder page of `export --video`: screenshots in, VP8 chunks out, with Chromium's own
 * encoder (WebCodecs). The Node side muxes the chunks into WebM.
 */
import type { EncodedChunk, EncoderControl } from '../../shared/videoCapture'

let encoder: VideoEncoder | null = null
let chunks: EncodedChunk[] = []
let config: VideoDecoderConfig | undefined
let failure: unknown = null

function toBase64(chunk: EncodedVideoChunk): string {
  const data = new Uint8Array(chunk.byteLength)
  chunk.copyTo(data)
  let binary = ''
  for (const byte of data) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function running(): VideoEncoder {
  if (failure) throw failure
  if (!encoder) throw new Error('the encoder was not started')
  return encoder
}

const control: EncoderControl = {
  start({ width, height }, fps) {
    encoder = new VideoEncoder({
      output: (chunk, metadata) => {
        if (metadata?.decoderConfig) config = metadata.decoderConfig
        chunks.push({
          key: chunk.type === 'key',
          timestamp: chunk.timestamp,
          duration: chunk.duration ?? Math.round(1e6 / fps),
          data: toBase64(chunk),
        })
      },
      error: (error) => {
        failure = error
      },
    })
    encoder.configure({ codec: 'vp8', width, height, bitrate: 2_500_000, framerate: fps })
  },

  async encode(frame) {
    const video = running()
    const bytes = Uint8Array.from(atob(frame.jpeg), (c) => c.charCodeAt(0))
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }))
    const videoFrame = new VideoFrame(bitmap, {
      timestamp: frame.timestamp,
      duration: frame.duration,
    })
    video.encode(videoFrame, { keyFrame: frame.key })
    videoFrame.close()
    bitmap.close()
    while (video.encodeQueueSize > 4) await new Promise((resolve) => setTimeout(resolve, 5))
  },

  take() {
    const taken = chunks
    chunks = []
    return taken
  },

  flush: () => running().flush(),

  decoderConfig: () => config,
}

;(window as Window & { replaydeskEncoder?: EncoderControl }).replaydeskEncoder = control
