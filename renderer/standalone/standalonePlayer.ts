/**
 * The player inside a session exported as one HTML file (`replaydesk export --html`). It
 * runs with no server and no network: the events sit in a JSON script element of the same
 * page, and the page's CSP allows no request at all. Recorded strings are set as text only.
 */
import { Replayer } from '@rrweb/replay'

import type { CaptureGlobals } from '../../shared/videoCapture'

/** Frame-by-frame control for `export --video`, present when the URL ends in #capture. */
const captureGlobals = window as Window & CaptureGlobals

interface ExportedSession {
  title: string
  subtitle: string
  tags: string[]
  events: unknown[]
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T
}

function formatTime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

function start(): void {
  const data = JSON.parse(byId('replaydesk-data').textContent ?? '{}') as ExportedSession
  byId('title').textContent = data.title
  byId('subtitle').textContent = data.subtitle
  const tags = byId('tags')
  for (const tag of data.tags) {
    const chip = document.createElement('span')
    chip.className = 'tag'
    chip.textContent = tag
    tags.append(chip)
  }

  const viewport = byId<HTMLDivElement>('viewport')
  const stage = byId<HTMLDivElement>('stage')
  const replayer = new Replayer(data.events as ConstructorParameters<typeof Replayer>[0], {
    root: viewport,
    skipInactive: true,
    mouseTail: false,
    triggerFocus: false,
    UNSAFE_replayCanvas: false,
    showWarning: false,
  })
  const total = replayer.getMetaData().totalTime
  const play = byId<HTMLButtonElement>('play')
  const progress = byId<HTMLInputElement>('progress')
  const time = byId('time')
  const speed = byId<HTMLSelectElement>('speed')
  progress.max = String(total)
  let playing = false
  let size = { width: 1024, height: 768 }

  const fit = () => {
    const scale = Math.min(stage.clientWidth / size.width, stage.clientHeight / size.height, 1)
    viewport.style.width = `${size.width}px`
    viewport.style.height = `${size.height}px`
    viewport.style.transform = `scale(${scale})`
  }
  const show = () => {
    const now = Math.min(replayer.getCurrentTime(), total)
    progress.value = String(now)
    time.textContent = `${formatTime(now)} / ${formatTime(total)}`
    play.textContent = playing ? '❚❚' : '▶'
    document.body.dataset.state = playing ? 'playing' : now >= total ? 'ended' : 'paused'
  }
  const tick = () => {
    show()
    if (playing) requestAnimationFrame(tick)
  }
  const setPlaying = (on: boolean, from = replayer.getCurrentTime()) => {
    playing = on
    if (on) replayer.play(from >= total ? 0 : from)
    else replayer.pause()
    tick()
  }

  replayer.on('resize', (s) => {
    size = s as typeof size
    fit()
  })
  replayer.on('finish', () => {
    playing = false
    replayer.pause(total + 1)
    show()
  })
  new ResizeObserver(fit).observe(stage)

  play.addEventListener('click', () => setPlaying(!playing))
  speed.addEventListener('change', () => replayer.setConfig({ speed: Number(speed.value) }))
  progress.addEventListener('input', () => {
    const at = Number(progress.value)
    // rrweb applies events strictly before the offset; one more millisecond shows the end.
    if (playing) replayer.play(at)
    else replayer.pause(at >= total ? at + 1 : at)
    show()
  })
  document.addEventListener('keydown', (event) => {
    if (event.key === ' ') {
      event.preventDefault()
      setPlaying(!playing)
    }
  })

  if (location.hash === '#capture') {
    document.body.classList.add('capture')
    captureGlobals.replaydeskCapture = {
      totalTime: total,
      seek: async (ms) => {
        replayer.pause(ms >= total ? total + 1 : ms)
        await nextFrame()
        await nextFrame()
      },
    }
    return
  }

  replayer.pause(0)
  setPlaying(true, 0)
}

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()))
}

start()
