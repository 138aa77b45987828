import {
  API_METHODS,
  ApiError,
  type ApiErrorBody,
  type ApiMethod,
  type ReplaydeskApi,
} from '../../shared/api'
import type { IpcBridge } from '../../shared/ipc'

declare global {
  interface Window {
    /** Present in the desktop window, exposed by the preload. */
    replaydesk?: IpcBridge
  }
}

export type Reply = { result: unknown } | { error: ApiErrorBody }
type Transport = (method: ApiMethod, args: unknown[]) => Promise<Reply>

const TOKEN_KEY = 'replaydesk:token'

/**
 * Headless mode's per-run token, which arrives once in the URL fragment and is then kept
 * for this tab only and removed from the address bar.
 */
export function readToken(): string {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

/** Headless mode: calls go to `/api/<method>` with the per-run token. */
function httpTransport(): Transport {
  const token = readToken()

  return async (method, args) => {
    const response = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Replaydesk-Token': token },
      body: JSON.stringify(args),
    })
    if (response.status === 401) {
      return {
        error: {
          code: 'internal',
          message: 'This page has no valid token: open the UI address `replaydesk serve` printed.',
        },
      }
    }
    if (!response.ok) {
      return { error: { code: 'internal', message: (await response.text()).trim() } }
    }
    return (await response.json()) as Reply
  }
}

function ipcTransport(bridge: IpcBridge): Transport {
  return (method, args) => bridge.call(method, args)
}

/** A reply's result, or its error thrown as the ApiError it was. */
export function unwrap<T>(reply: Reply): T {
  if ('error' in reply) throw new ApiError(reply.error.code, reply.error.message)
  return reply.result as T
}

/** The contract, whichever transport carries it. Adding a method needs no change here. */
function createApi(transport: Transport): ReplaydeskApi {
  const api = {} as Record<ApiMethod, (...args: unknown[]) => Promise<unknown>>
  for (const method of API_METHODS) {
    api[method] = async (...args) => unwrap(await transport(method, args))
  }
  return api as unknown as ReplaydeskApi
}

export const api: ReplaydeskApi = createApi(
  window.replaydesk ? ipcTransport(window.replaydesk) : httpTransport(),
)
