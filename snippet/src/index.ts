/**
 * The Replaydesk snippet: records the page with rrweb and sends it, with the tags the page
 * sets through the `__insp` command queue, to the collector it was loaded from.
 *
 * It runs inside other people's pages, so every entry point is wrapped: a failure here is
 * reported on the console and never thrown into the host page.
 */
import { INGEST_PATH } from '../../shared/wire'
import { takeOverQueue } from './commandQueue'
import { Recorder } from './Recorder'
import { safely, warn } from './warn'

declare global {
  interface Window {
    __replaydeskLoaded?: boolean
  }
}

/** The collector is the origin the script was loaded from, unless `['collector', URL]`. */
function defaultEndpoint(): string {
  const script = document.currentScript as HTMLScriptElement | null
  const origin = script?.src ? new URL(script.src).origin : location.origin
  return origin + INGEST_PATH
}

function install(): void {
  if (window.__replaydeskLoaded) return warn('the snippet is on this page twice; one records')
  window.__replaydeskLoaded = true

  const recorder = new Recorder(defaultEndpoint())
  takeOverQueue((action) => recorder.run(action))
  recorder.start()
}

safely(install)()
