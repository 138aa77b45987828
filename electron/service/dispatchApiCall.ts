import {
  API_METHODS,
  ApiError,
  type ApiErrorBody,
  type ApiMethod,
  type ReplaydeskApi,
} from '../../shared/api'

export type ApiReply = { result: unknown } | { error: ApiErrorBody }

/**
 * Runs one call of the contract for a transport (IPC or HTTP). Only the contract's own
 * methods can be reached, and every failure comes back as a plain, serialisable error.
 */
export async function dispatchApiCall(
  api: ReplaydeskApi,
  method: string,
  args: unknown,
  onInternalError: (error: unknown) => void,
): Promise<ApiReply> {
  if (!API_METHODS.includes(method as ApiMethod)) {
    return { error: { code: 'not_found', message: `no API method ${method}` } }
  }
  if (!Array.isArray(args)) {
    return { error: { code: 'bad_query', message: 'arguments must be an array' } }
  }

  const call = api[method as ApiMethod] as (...a: unknown[]) => Promise<unknown>
  return replyOf(() => call.apply(api, args), onInternalError)
}

/** The reply a transport sends for one piece of work: its result, or a plain error. */
export async function replyOf(
  work: () => unknown,
  onInternalError: (error: unknown) => void,
): Promise<ApiReply> {
  try {
    return { result: await work() }
  } catch (error) {
    if (error instanceof ApiError) return { error: { code: error.code, message: error.message } }
    onInternalError(error)
    return { error: { code: 'internal', message: 'internal error; see the log' } }
  }
}
