import type { PageMeta } from '../../shared/wire'
import { LIMITS } from '../../shared/wire'

/** What the first batch of each page view says about it. */
export function readPageMeta(): PageMeta {
  return {
    url: location.href.slice(0, LIMITS.maxUrlLength),
    title: document.title.slice(0, 1024),
    referrer: document.referrer.slice(0, LIMITS.maxUrlLength),
    viewport: { width: innerWidth, height: innerHeight },
    screen: { width: screen.width, height: screen.height },
    language: navigator.language.slice(0, 64),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone.slice(0, 64),
    userAgent: navigator.userAgent.slice(0, 1024),
  }
}
