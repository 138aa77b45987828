/** What a session list shows of a browser: `Chrome 156`, `Linux`, `desktop`. */
export interface UserAgentInfo {
  browser: string
  os: string
  device: 'desktop' | 'mobile' | 'tablet'
}

/**
 * A small reading of a User-Agent string, good enough to search and group sessions by. Order
 * matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
 */
export function parseUserAgent(ua: string): UserAgentInfo {
  return { browser: browserOf(ua), os: osOf(ua), device: deviceOf(ua) }
}

const BROWSERS: [RegExp, string][] = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/OPR\/(\d+)/, 'Opera'],
  [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/Firefox\/(\d+)/, 'Firefox'],
  [/FxiOS\/(\d+)/, 'Firefox'],
  [/CriOS\/(\d+)/, 'Chrome'],
  [/HeadlessChrome\/(\d+)/, 'Chrome Headless'],
  [/Chrom(?:e|ium)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)(?:\.\d+)*.*Safari\//, 'Safari'],
]

function browserOf(ua: string): string {
  for (const [pattern, name] of BROWSERS) {
    const match = pattern.exec(ua)
    if (match) return `${name} ${match[1]}`
  }
  return 'Other'
}

function osOf(ua: string): string {
  if (/Windows NT/.test(ua)) return 'Windows'
  if (/iPhone|iPad|iPod/.test(ua)) return 'iOS'
  if (/Mac OS X|Macintosh/.test(ua)) return 'macOS'
  if (/Android/.test(ua)) return 'Android'
  if (/CrOS/.test(ua)) return 'ChromeOS'
  if (/Linux/.test(ua)) return 'Linux'
  return 'Other'
}

function deviceOf(ua: string): UserAgentInfo['device'] {
  if (/iPad|Tablet/.test(ua) || (/Android/.test(ua) && !/Mobile/.test(ua))) return 'tablet'
  if (/Mobi|iPhone|iPod/.test(ua)) return 'mobile'
  return 'desktop'
}
