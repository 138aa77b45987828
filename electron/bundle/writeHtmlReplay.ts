import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeFile, rename } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { PageEvents, SessionDetail } from '../../shared/api'
import { formatDuration } from '../../shared/format'
import { formatTagValue } from '../../shared/tags'
import { builtStandalonePlayer } from '../paths'

/**
 * One session as a single HTML file that replays in any modern browser with no network
 * and no Replaydesk. The player's rules hold inside it: rrweb's replay frame stays
 * sandboxed without scripts, and the page's CSP admits only its own two scripts (by hash),
 * inline styles and data: images, fonts, media and stylesheets, so a recorded page can
 * neither run code nor reach the network. The events come with their assets inlined
 * (inlineAssets.ts): the page needs nothing it does not hold.
 */
export async function writeHtmlReplay(
  detail: SessionDetail,
  pages: PageEvents[],
  file: string,
): Promise<number> {
  const player = readFileSync(builtStandalonePlayer(), 'utf8')
  const require = createRequire(import.meta.url)
  const rrwebCss = readFileSync(
    join(dirname(require.resolve('@rrweb/replay')), 'style.css'),
    'utf8',
  )

  const data = {
    title: detail.identity ?? 'Anonymous visitor',
    subtitle: `${detail.startedAt.replace('T', ' ').slice(0, 19)} UTC · ${formatDuration(
      detail.durationMs,
    )} · ${detail.pages} page${detail.pages === 1 ? '' : 's'} · ${detail.urls[0] ?? ''}`,
    tags: [
      ...Object.entries(detail.tags).map(([k, v]) => `${k}: ${formatTagValue(v)}`),
      ...detail.stringTags,
    ],
    events: pages.flatMap((p) => p.events),
  }

  const csp = [
    "default-src 'none'",
    `script-src '${hash(player)}'`,
    // data: for a recorded <link rel=stylesheet> whose cached stylesheet was inlined.
    "style-src 'unsafe-inline' data:",
    'img-src data: blob:',
    'font-src data:',
    'media-src data: blob:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')

  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Replaydesk replay ${escapeHtml(detail.id)}</title>
<style>${rrwebCss}
${PAGE_CSS}</style>
</head>
<body>
<header><div><h1 id="title"></h1><p id="subtitle"></p></div><div id="tags"></div></header>
<div id="stage"><div id="viewport"></div></div>
<footer>
<button id="play" aria-label="Play or pause">▶</button>
<input id="progress" type="range" min="0" value="0" aria-label="Position">
<span id="time">0:00</span>
<select id="speed" aria-label="Speed"><option value="1">1×</option><option value="2">2×</option>
<option value="4">4×</option><option value="8">8×</option><option value="16">16×</option></select>
</footer>
<p class="credit">Exported from Replaydesk. Space plays and pauses.</p>
<script type="application/json" id="replaydesk-data">${scriptSafeJson(data)}</script>
<script>${player}</script>
</body>
</html>
`
  const partial = `${file}.partial`
  await writeFile(partial, html)
  await rename(partial, file)
  return Buffer.byteLength(html)
}

/** JSON inside a script element: no `<` may appear, or `</script>` in a recording ends it. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

function hash(script: string): string {
  return `sha256-${createHash('sha256').update(script).digest('base64')}`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const PAGE_CSS = `
* { box-sizing: border-box; }
body { margin: 0; height: 100vh; display: flex; flex-direction: column; gap: 10px;
  padding: 16px 20px; font: 14px system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
header { display: flex; justify-content: space-between; gap: 16px; }
h1 { margin: 0; font-size: 18px; }
#subtitle { margin: 2px 0 0; color: #687385; }
#tags { display: flex; flex-wrap: wrap; gap: 4px; align-content: flex-start; }
.tag { padding: 1px 7px; border-radius: 10px; background: #eceefe; color: #4f5bd5;
  font-size: 11.5px; }
#stage { position: relative; flex: 1; overflow: hidden; border: 1px solid #e3e6eb;
  border-radius: 8px; background: #e9ebef; }
#viewport { position: absolute; top: 0; left: 0; transform-origin: top left; background: #fff; }
#viewport iframe { border: 0; }
footer { display: flex; align-items: center; gap: 12px; }
#play { width: 36px; height: 36px; border: 0; border-radius: 50%; background: #4f5bd5;
  color: #fff; cursor: pointer; }
#progress { flex: 1; accent-color: #4f5bd5; }
#time { color: #687385; font-variant-numeric: tabular-nums; }
.credit { margin: 0; color: #687385; font-size: 12px; }
body.capture { padding: 0; gap: 0; background: #fff; }
body.capture header, body.capture footer, body.capture .credit { display: none; }
body.capture #stage { border: 0; border-radius: 0; }
`
