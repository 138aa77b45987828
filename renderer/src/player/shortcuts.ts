/** What a key does in the player; shown by the help overlay in this order. */
export type ShortcutAction =
  | { do: 'toggle-play' }
  | { do: 'step'; ms: number }
  | { do: 'marker'; direction: -1 | 1 }
  | { do: 'speed'; speed: number }
  | { do: 'fullscreen' }
  | { do: 'help' }
  | { do: 'close' }

/** How far the arrow keys move. */
export const STEP_MS = 5000

export const SHORTCUT_HELP: { keys: string; what: string }[] = [
  { keys: 'Space or K', what: 'play / pause' },
  { keys: '← →', what: `back / forward ${STEP_MS / 1000} seconds` },
  { keys: 'Shift + ← →', what: 'previous / next marker' },
  { keys: '1 2 3 4 5', what: 'speed 1× 2× 4× 8× 16×' },
  { keys: 'F', what: 'fullscreen' },
  { keys: '?', what: 'this help (Esc closes it)' },
]

const SPEED_KEYS: Record<string, number> = { '1': 1, '2': 2, '3': 4, '4': 8, '5': 16 }

export function shortcutFor(key: string, shift: boolean): ShortcutAction | null {
  if (key === ' ' || key === 'k') return { do: 'toggle-play' }
  if (key === 'ArrowLeft')
    return shift ? { do: 'marker', direction: -1 } : { do: 'step', ms: -STEP_MS }
  if (key === 'ArrowRight')
    return shift ? { do: 'marker', direction: 1 } : { do: 'step', ms: STEP_MS }
  if (key in SPEED_KEYS) return { do: 'speed', speed: SPEED_KEYS[key]! }
  if (key === 'f') return { do: 'fullscreen' }
  if (key === '?') return { do: 'help' }
  if (key === 'Escape') return { do: 'close' }
  return null
}

/** Keys typed into a field are text, not shortcuts. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') {
    return true
  }
  return (
    target instanceof HTMLInputElement && !['range', 'checkbox', 'button'].includes(target.type)
  )
}
