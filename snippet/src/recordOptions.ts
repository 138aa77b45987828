/**
 * How rrweb records: private by default, light enough for busy pages, and seekable.
 *
 * Pages already carry marks for other recorders; each is honoured with the closest rrweb
 * behaviour. Marks that mean "leave this out" block the element (a same-size placeholder,
 * nothing of its content); marks that mean "hide the text" mask it.
 */
export const BLOCK_SELECTOR = '.rr-block,.inspectletIgnore,.fs-exclude,.ph-no-capture'
/** Editable regions are typed into like inputs, so they are masked like inputs. */
export const MASK_SELECTOR = '.rr-mask,[data-hj-suppress],[data-private],[contenteditable]'
export const IGNORE_SELECTOR = '.rr-ignore'

/** A full snapshot this often lets a long session be seeked without replaying from the start. */
const CHECKOUT_EVERY_MS = 5 * 60 * 1000

export function recordOptions(maskAllText: boolean) {
  return {
    recordAfter: 'DOMContentLoaded' as const,
    maskAllInputs: true,
    blockSelector: BLOCK_SELECTOR,
    maskTextSelector: maskAllText ? '*' : MASK_SELECTOR,
    ignoreSelector: IGNORE_SELECTOR,
    slimDOMOptions: 'all' as const,
    inlineStylesheet: true,
    checkoutEveryNms: CHECKOUT_EVERY_MS,
    sampling: { mousemove: 50, scroll: 150, media: 800, input: 'last' as const },
  }
}
