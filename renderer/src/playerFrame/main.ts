/**
 * The player frame: rrweb's Replayer on an origin of its own, with no API, no token and a
 * strict CSP (see electron/server/playerCsp.ts). It replays what the UI sends and reports
 * where it is; it fetches nothing. rrweb's replay iframe keeps its sandbox (no scripts).
 */
import '@rrweb/replay/dist/style.css'
import './frame.css'
import {
  fromPlayerMessage,
  toPlayerMessage,
  type FromPlayerMessage,
} from '../../../shared/playerProtocol'
import { createPlayback } from './createPlayback'

const parentOrigin = location.ancestorOrigins?.[0] ?? ''
// A desktop window loaded from a file has an opaque origin, which postMessage cannot name.
const opaqueParent = parentOrigin === '' || parentOrigin === 'null' || parentOrigin === 'file://'

function post(message: FromPlayerMessage): void {
  if (window.parent === window) return
  window.parent.postMessage(fromPlayerMessage.parse(message), opaqueParent ? '*' : parentOrigin)
}

function isFromParent(event: MessageEvent): boolean {
  if (event.source !== window.parent || window.parent === window) return false
  return opaqueParent
    ? event.origin === 'null' || event.origin === 'file://'
    : event.origin === parentOrigin
}

const playback = createPlayback(document.getElementById('viewport') as HTMLDivElement, post)

window.addEventListener('message', (event: MessageEvent) => {
  if (!isFromParent(event)) return
  const parsed = toPlayerMessage.safeParse(event.data)
  if (!parsed.success) return
  playback.handle(parsed.data)
})

// Shortcuts work wherever focus is: keys pressed in the frame go to the UI.
const FORWARDED = /^( |Arrow(Left|Right)|[1-5]|\?|f|k|Escape)$/
window.addEventListener('keydown', (event) => {
  if (!FORWARDED.test(event.key)) return
  event.preventDefault()
  post({ kind: 'key', key: event.key, shift: event.shiftKey })
})

post({ kind: 'ready' })
