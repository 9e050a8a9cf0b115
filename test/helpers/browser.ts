/**
 * Headless Chromium for the end-to-end tests: Debian's chromium driven by playwright-core (no browser
 * download), a fresh profile per suite, screenshots under test-output/, and the accessibility checks
 * every page must pass.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// The browser's globals, inside page.evaluate callbacks (the project compiles without the DOM library).
declare const document: any;
declare const CSS: any;
type HTMLElement = any;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const OUTPUT = join(process.cwd(), 'test-output');
// Without the background-networking flags Chromium tries hosts this machine's closed network refuses.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A browser with a profile of its own, removed on close. */
export async function openBrowser(name: string, options: { acceptDownloads?: boolean } = {}): Promise<Browser> {
  mkdirSync(OUTPUT, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), `${name}-chromium-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
    ...(options.acceptDownloads ? { acceptDownloads: true } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Every visible form control has a label; headings do not skip a level; every control takes focus by Tab. */
export async function checkAccessibility(page: Page, what: string): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter(el => el.type !== 'hidden')
      .filter(el => {
        const id = el.getAttribute('id');
        const label = id ? document.querySelector(`label[for="${CSS.escape(id)}"]`) : null;
        return !label && !el.getAttribute('aria-label') && !el.closest('label');
      })
      .map(el => el.outerHTML.slice(0, 80)),
  );
  expect(unlabelled, `${what}: inputs without a label`).to.deep.equal([]);

  const levels = await page.evaluate(() =>
    [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1])),
  );
  expect(levels[0], `${what}: the first heading is the h1`).to.equal(1);
  expect(
    levels.filter(l => l === 1),
    `${what}: one h1`,
  ).to.have.lengthOf(1);
  for (let i = 1; i < levels.length; i += 1) {
    expect(levels[i]! - levels[i - 1]!, `${what}: heading levels ${levels.join(',')}`).to.be.at.most(1);
  }

  // Tab through the page: every visible control must be reached, none only by mouse.
  const controls = await page.evaluate(() => {
    const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary')] as HTMLElement[];
    const visible = all.filter(
      el =>
        el.type !== 'hidden' && el.getClientRects().length > 0 && !el.closest('details:not([open]) > :not(summary)'),
    );
    visible.forEach((el, i) => el.setAttribute('data-a11y', String(i)));
    return visible.length;
  });
  const reached = new Set<string>();
  await page.evaluate(() => document.activeElement?.blur());
  // Date and time inputs take several Tabs (one per part), hence the margin.
  for (let i = 0; i < controls * 2 + 20; i += 1) {
    await page.keyboard.press('Tab');
    const mark = await page.evaluate(() => document.activeElement?.getAttribute('data-a11y') ?? null);
    if (mark !== null) reached.add(mark);
    if (reached.size === controls) break;
  }
  expect(reached.size, `${what}: controls reachable by Tab`).to.equal(controls);
}
