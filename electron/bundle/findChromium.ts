import { existsSync } from 'node:fs'

/** Where Chromium or Chrome usually lives, in the order tried after REPLAYDESK_CHROMIUM. */
const KNOWN_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
]

export class ChromiumMissingError extends Error {
  constructor(what: string) {
    super(
      `${what} renders with Chromium and found none: install Chromium (Debian: ` +
        'apt-get install chromium) or Chrome, or set REPLAYDESK_CHROMIUM to its executable',
    )
  }
}

/** The Chromium to render with; throws ChromiumMissingError, which says how to get one. */
export function findChromium(what: string): string {
  const named = process.env.REPLAYDESK_CHROMIUM
  if (named) {
    if (existsSync(named)) return named
    throw new ChromiumMissingError(`${what} (REPLAYDESK_CHROMIUM=${named} does not exist)`)
  }
  const found = KNOWN_PATHS.find((path) => existsSync(path))
  if (!found) throw new ChromiumMissingError(what)
  return found
}
