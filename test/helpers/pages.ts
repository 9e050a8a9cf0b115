/**
 * A browser-like client for the page tests: keeps cookies, follows no redirect (the tests check each
 * 303), sends forms as a browser does and remembers the CSRF token of the last page it read.
 */
import { expect } from 'chai';
import { TEST_CREDENTIALS } from '../../config/index.ts';

export interface PageAnswer {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export class PageClient {
  readonly base: string;
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last page read (its forms' `_csrf`). */
  csrf = '';

  constructor(base: string) {
    this.base = base;
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }

  async request(
    method: string,
    path: string,
    init: { body?: RequestInit['body']; headers?: Record<string, string> } = {},
  ): Promise<PageAnswer> {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader();
    const res = await fetch(`${this.base}${path}`, { method, headers, body: init.body, redirect: 'manual' });
    this.remember(res);
    const text = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') };
  }

  get(path: string): Promise<PageAnswer> {
    return this.request('GET', path);
  }

  /** A form POST; the CSRF token of the last page is added unless `csrf` says otherwise (null: none). */
  post(path: string, fields: Record<string, string> = {}, csrf: string | null = this.csrf): Promise<PageAnswer> {
    const form = new URLSearchParams(fields);
    if (csrf !== null) form.set('_csrf', csrf);
    return this.request('POST', path, {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** A multipart POST with one file, as the import form sends it. */
  upload(
    path: string,
    file: Buffer | string,
    filename = 'leads.csv',
    csrf: string | null = this.csrf,
  ): Promise<PageAnswer> {
    const form = new FormData();
    if (csrf !== null) form.set('_csrf', csrf);
    form.set('file', new Blob([file], { type: 'text/csv' }), filename);
    return this.request('POST', path, { body: form });
  }

  async login(username: string, password: string): Promise<void> {
    await this.get('/login');
    const res = await this.post('/login', { username, password, next: '/leads/' });
    expect(res.status, res.text).to.equal(303);
    const list = await this.get('/leads/');
    expect(list.status, list.text).to.equal(200);
  }

  loginAdmin(): Promise<void> {
    return this.login(TEST_CREDENTIALS.adminUsername, TEST_CREDENTIALS.adminPassword);
  }
}

/** The text of an HTML fragment without tags, whitespace collapsed (for readable assertions). */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
}

export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

export function expectPageHeaders(res: PageAnswer): void {
  expect(res.headers.get('content-security-policy')).to.equal(PAGE_CSP);
  expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
  expect(res.headers.get('referrer-policy')).to.equal('same-origin');
  expect(res.headers.get('cache-control')).to.equal('no-store');
}

export function expectHtml(res: PageAnswer, status: number): void {
  expect(res.status, res.text.slice(0, 2000)).to.equal(status);
  expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
  expect(res.text.startsWith('<!DOCTYPE html>')).to.equal(true);
  expectPageHeaders(res);
}
