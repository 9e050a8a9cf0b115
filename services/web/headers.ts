/**
 * The headers every page answer carries. The Content-Security-Policy allows no inline script or style
 * at all (the pages use one stylesheet and a few small script files of their own), forms may post only
 * to this origin, and no other site may frame a page (clickjacking).
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  // Pages show customer and lead data to a signed-in user: never kept by the browser or a proxy.
  'Cache-Control': 'no-store',
});

export const HTML_TYPE = 'text/html; charset=utf-8';
