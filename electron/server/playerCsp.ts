/**
 * The player document's policy, which rrweb's replay iframe inherits. Inline styles are
 * allowed because rrweb writes recorded `<style>` text and `style` attributes; images, fonts
 * and stylesheets may come only from the player itself, data:/blob: URLs, and the collector,
 * whose asset cache serves what recordings reference. Every other request, scripts from a
 * recording included, is refused by the browser before it leaves.
 *
 * `uiOrigins` are the only documents allowed to frame the player. The desktop app names
 * several collectors when bundles are open, each served by a back end of its own.
 */
export function buildPlayerCsp(
  collectorUrls: string | readonly string[],
  uiOrigins: readonly string[],
): string {
  const collector = [collectorUrls]
    .flat()
    .map((url) => new URL(url).origin)
    .join(' ')
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'unsafe-inline' ${collector}`,
    `img-src 'self' data: blob: ${collector}`,
    `font-src 'self' data: ${collector}`,
    `media-src 'self' data: blob: ${collector}`,
    "connect-src 'none'",
    "frame-src 'self' about: data:",
    "child-src 'self' about:",
    "worker-src 'none'",
    "manifest-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${uiOrigins.join(' ')}`,
  ].join('; ')
}

/** The player's document and the bundles it loads; nothing else is served on its origin. */
export const PLAYER_DOCUMENT = 'player.html'

export function isPlayerFile(relativePath: string): boolean {
  return relativePath === PLAYER_DOCUMENT || /^assets\/[\w.-]+\.(js|css)$/.test(relativePath)
}
