#!/usr/bin/env node
// `npm start`: the desktop window when Electron can run here, headless mode otherwise.
//
// Electron's package fetches its binary on first use. Where that fails (no network, as on
// our build machines) or there is no display, this prints one line saying so and runs
// `replaydesk serve`, which serves the same UI at a local address.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const say = (line) => process.stdout.write(`${line}\n`)

/** The Electron executable, fetching it first if the package has none; null if it can't. */
function electronBinary() {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 5 * 60_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const path = probe.stdout.trim()
  return probe.status === 0 && existsSync(path) ? path : null
}

/**
 * better-sqlite3 is compiled for Node; Electron has its own ABI. Build a second copy for
 * Electron's headers (once per Electron version) and keep it apart from the Node one, so
 * the CLI and the tests keep working.
 */
function sqliteForElectron() {
  const version = require('electron/package.json').version
  const target = join(root, '.cache', `electron-${version}`, 'better_sqlite3.node')
  if (existsSync(target)) return target

  say(`Building the SQLite module for Electron ${version} (once)…`)
  const work = mkdtempSync(join(tmpdir(), 'replaydesk-sqlite-'))
  try {
    cpSync(dirname(require.resolve('better-sqlite3/package.json')), work, { recursive: true })
    rmSync(join(work, 'build'), { recursive: true, force: true })
    const gyp = process.env.npm_config_node_gyp ?? 'node-gyp'
    const built = spawnSync(
      gyp.endsWith('.js') ? process.execPath : gyp,
      [
        ...(gyp.endsWith('.js') ? [gyp] : []),
        'rebuild',
        '--release',
        `--target=${version}`,
        '--dist-url=https://electronjs.org/headers',
        '--runtime=electron',
      ],
      { cwd: work, stdio: 'inherit' },
    )
    if (built.status !== 0) return null
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target)
    return target
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

function run(command, args, env = process.env) {
  const child = spawn(command, args, { stdio: 'inherit', env, cwd: root })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code) => process.exit(code ?? 0))
}

function headless(reason) {
  say(`${reason}: running headless; open the UI address below in a browser.`)
  run(process.execPath, [join(root, 'bin', 'replaydesk.js'), 'serve', ...process.argv.slice(2)])
}

const noDisplay =
  process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
const electron = process.env.REPLAYDESK_HEADLESS ? null : electronBinary()

if (process.env.REPLAYDESK_HEADLESS) headless('REPLAYDESK_HEADLESS is set')
else if (!electron) headless('The Electron binary is missing and could not be downloaded')
else if (noDisplay) headless('There is no display to open a window on')
else {
  const sqlite = sqliteForElectron()
  if (!sqlite) headless('Could not build SQLite for Electron')
  else run(electron, [root], { ...process.env, REPLAYDESK_ELECTRON_SQLITE: sqlite })
}
