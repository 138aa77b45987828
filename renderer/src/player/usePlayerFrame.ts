import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import {
  fromPlayerMessage,
  type FromPlayerMessage,
  type ToPlayerMessage,
} from '../../../shared/playerProtocol'

/**
 * The UI's side of the player frame: sends it messages once it is ready, and turns what it
 * reports into reactive state. Only messages from that frame's window and origin count.
 */
export function usePlayerFrame(
  frame: Ref<HTMLIFrameElement | null>,
  playerUrl: Ref<string>,
  onMessage: (message: FromPlayerMessage) => void,
) {
  const ready = ref(false)
  const ts = ref(0)
  const playing = ref(false)
  const href = ref('')
  const skipping = ref(false)
  let queue: ToPlayerMessage[] = []

  function playerOrigin(): string {
    return new URL(playerUrl.value).origin
  }

  function send(message: ToPlayerMessage): void {
    const target = frame.value?.contentWindow
    if (!ready.value || !target) {
      queue.push(message)
      return
    }
    // Typed by construction; the frame checks the shape on arrival.
    target.postMessage(message, playerOrigin())
  }

  function receive(event: MessageEvent): void {
    if (!frame.value || event.source !== frame.value.contentWindow) return
    if (!playerUrl.value || event.origin !== playerOrigin()) return
    const parsed = fromPlayerMessage.safeParse(event.data)
    if (!parsed.success) return
    const message = parsed.data

    if (message.kind === 'ready') {
      ready.value = true
      const pending = queue
      queue = []
      for (const m of pending) send(m)
    } else if (message.kind === 'state') {
      ts.value = message.ts
      playing.value = message.playing
      href.value = message.href
      skipping.value = message.skipping
    } else if (message.kind === 'finish') {
      ts.value = message.ts
      playing.value = false
    }
    onMessage(message)
  }

  onMounted(() => window.addEventListener('message', receive))
  onBeforeUnmount(() => window.removeEventListener('message', receive))

  return { ready, ts, playing, href, skipping, send }
}
