/**
 * Server-side templates: `html\`<p>${text}</p>\`` escapes every interpolated value, unless the value
 * is itself the result of `html` (so templates compose), and gives back an `Html` value. Nothing else
 * can make an `Html`: the class cannot be constructed from outside this module, so no string from a
 * user, a service or the database can ever reach a page as markup. Why this and not a template engine:
 * docs/web.md ("Templates").
 *
 * Attribute values are safe inside double quotes (quotes are escaped); `attrs({...})` renders a set
 * of attributes with boolean ones present or absent. Every attribute in a template is double-quoted.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, c => ESCAPES[c]!);
}

const TOKEN = Symbol('Html');

/** Markup made by `html` (or `attrs`): the only kind of value a template inserts unescaped. */
export class Html {
  readonly text: string;
  constructor(token: symbol, text: string) {
    // eslint-disable-next-line security/detect-possible-timing-attacks -- a module-private symbol, not a secret
    if (token !== TOKEN) throw new TypeError('Html values are made by html`...` only');
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** What a template accepts: text (escaped), markup, nothing (null, undefined, false) or a list of them. */
export type Renderable = Html | string | number | boolean | null | undefined | readonly Renderable[];

function render(value: Renderable): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return (value as readonly Renderable[]).map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Renderable[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + strings[i + 1]!;
  return new Html(TOKEN, out);
}

/** Several fragments as one (e.g. rows of a table). */
export function join(parts: readonly Renderable[]): Html {
  return new Html(TOKEN, render(parts));
}

const ATTRIBUTE_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * ` name="value"` for each attribute; `true` renders the bare name (required, disabled), `false`,
 * null and undefined leave it out. Names are fixed by the code, never taken from input.
 */
export function attrs(values: Record<string, string | number | boolean | null | undefined>): Html {
  let out = '';
  for (const [name, value] of Object.entries(values)) {
    if (!ATTRIBUTE_NAME.test(name)) throw new TypeError(`Not an attribute name: ${name}`);
    if (value === null || value === undefined || value === false) continue;
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  return new Html(TOKEN, out);
}

/**
 * A link target for an href: a same-site path, or an http(s) address (a lead's website). Anything
 * else (javascript:, data:, protocol-relative //host) becomes `#`.
 */
export function safeHref(url: string): string {
  if (/^\/(?![/\\])/.test(url)) return url;
  if (/^https?:\/\/[^\s]+$/i.test(url)) return url;
  return '#';
}

/** The page as the bytes sent: the doctype and the rendered document. */
export function documentText(page: Html): string {
  return `<!DOCTYPE html>\n${page.text}`;
}
