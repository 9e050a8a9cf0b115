// End to end in headless Chromium (playwright-core driving Debian's chromium): a staff member signs in
// and lands on the dashboard, whose live figures refresh on their own after a client activates through
// the HTTP API; regenerates the API key (the old key gets the reference's 401, the new one works);
// configures a webhook to a receiver on 127.0.0.1, sends a test and sees it in the delivery log;
// resolves an anomaly the real detector raised; finds a license from the header's search; a viewer
// opens every one of these pages and can change nothing. Screenshots go to test-output/; basic
// accessibility checks run on each page.
import { join } from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { OUTPUT, checkAccessibility, openBrowser, type Browser } from '../helpers/browser.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';
import type { LicenseThis } from '../../services/license/state.ts';

// The browser's globals, inside page.evaluate callbacks (the project compiles without the DOM library).
declare const document: any;

const INVALID_API_KEY = { error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 };

/** The POST forms of the page, by action: a viewer's pages have only the logout form. */
function postForms(page: Page): Promise<string[]> {
  return page.locator('form[method="post"]').evaluateAll(els => els.map(el => el.getAttribute('action')!));
}

/** The text of an element, whitespace collapsed as a person reads it. */
async function textIn(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

describe('Admin Panel operations pages in a browser (headless Chromium)', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  let receiver: Receiver;
  let license: { id: number; key: string };
  /** A license with room left, for activations after the first two. */
  let spare: { id: number; key: string };
  let apiKey = TEST_API_KEY;
  let webhookPath = '';

  const asAdmin = { authorization: '' };
  const activate = (key: string, hardware: string) =>
    http('POST', `${system.url}/api/license/activate`, {
      body: { license_key: key, hardware_hash: hardware, machine_name: `Machine ${hardware}` },
      headers: { 'x-api-key': apiKey },
    });
  const verifyWith = (key: string) =>
    http('POST', `${system.url}/api/license/verify`, {
      body: { license_key: license.key, hardware_hash: 'e2e-burst-1' },
      headers: { 'x-api-key': key },
    });

  before(async function () {
    await resetStores();
    // A low activation threshold: two activations of one license make a real anomaly.
    system = await startSystem({
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        LIVE_STATS_CACHE_MS: '0',
        ANOMALY_ACTIVATIONS: '2',
      },
    });
    token = await adminToken(system.url);
    asAdmin.authorization = `Bearer ${token}`;
    await viewerToken(system.url, token, 'ops.e2e.viewer');
    const customer = await http('POST', `${system.url}/api/customers`, {
      headers: asAdmin,
      body: { name: 'Browser Bakery', email: 'it@browser-bakery.example' },
    });
    const created = await http('POST', `${system.url}/api/licenses`, {
      headers: asAdmin,
      body: {
        type: 'subscription',
        customer_id: customer.body.id,
        max_activations: 2,
        max_users: 5,
        valid_until: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10),
      },
    });
    license = created.body;
    for (const hw of ['e2e-burst-1', 'e2e-burst-2']) expect((await activate(license.key, hw)).status).to.equal(200);
    for (let i = 0; i < 5; i += 1) expect((await verifyWith(TEST_API_KEY)).body.valid).to.equal(true);
    // The verify counts reach Redis every few seconds: now, so the charts show them at once.
    await (system.brokers[0]!.getLocalService('license') as unknown as LicenseThis).verifySeries.flush();
    spare = (
      await http('POST', `${system.url}/api/licenses`, {
        headers: asAdmin,
        body: { type: 'perpetual', max_activations: 10, max_users: 10 },
      })
    ).body;
    receiver = await startReceiver();
    browser = await openBrowser('admin-ops-e2e');
    context = browser.context;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: system.url });
    page = browser.page;
  });

  after(async function () {
    await browser?.close();
    await receiver?.close();
    await system?.stop();
  });

  it('a staff member signs in and lands on the dashboard', async function () {
    await page.goto(`${system.url}/login`);
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin_test_password');
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${system.url}/admin/`);
    expect(await page.textContent('h1')).to.equal('Dashboard');
    expect(await page.locator('figure.chart svg[role="img"]').count()).to.equal(4);
    expect(await textIn(page, 'main'))
      .to.include('Unusual activation pattern')
      .and.include(`${license.key} Browser Bakery 2 of 2 seats (100%)`)
      .and.include('5 verifications in total');
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
    await checkAccessibility(page, 'dashboard');
    // On a phone: one column, nothing wider than the screen (tables scroll inside their own box).
    await page.setViewportSize({ width: 390, height: 844 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(width, 'page width on a 390 px screen').to.be.at.most(390);
  });

  it('refreshes its live figures on its own after a client activates through the HTTP API', async function () {
    // A page of its own with a controlled clock: the 10 s of the refresh interval pass at once.
    const live = await context.newPage();
    try {
      await live.clock.install();
      await live.goto(`${system.url}/admin/`);
      const figure = async () => Number(await live.textContent('[data-figure="total_activations"] .figure'));
      const before = await figure();
      const fragment = await live.request.get(`${system.url}/admin/live`);
      expect(fragment.status()).to.equal(200);
      expect(await fragment.text()).to.include(`data-figure="total_activations"><span class="figure">${before}</span>`);
      expect((await activate(spare.key, 'e2e-live-1')).status).to.equal(200);
      expect(await figure(), 'nothing changes before the interval').to.equal(before);
      await live.clock.fastForward(10_500);
      await until('the figure refreshed', async () => (await figure()) === before + 1);
    } finally {
      await live.close();
    }
  });

  it('regenerates the API key: the old key gets the reference 401, the new one works', async function () {
    await page.goto(`${system.url}/admin/`);
    await page.click('nav.sidenav a:has-text("Administration")');
    expect(await page.textContent('h1')).to.equal('Administration');
    await checkAccessibility(page, 'administration');
    await page.click('button:has-text("Regenerate the API key")');
    expect(await page.textContent('h1')).to.equal('Regenerate the API key?');
    expect(await textIn(page, 'main')).to.include('stops working at once, on every');
    await checkAccessibility(page, 'regenerate confirmation');
    const [answer] = await Promise.all([
      page.waitForResponse(r => r.url().endsWith('/admin/administration/api-key/regenerate')),
      page.click('button:has-text("Yes, regenerate the API key")'),
    ]);
    expect(answer.headers()['cache-control']).to.equal('no-store');
    expect(await page.textContent('h1')).to.equal('New API key');
    const key = await page.inputValue('#api-key');
    expect(key).to.match(/^AF-\d{4}-[A-Za-z0-9]{32}$/);
    expect(await page.textContent('.secret-once .warning')).to.include('Shown only this once.');
    await page.click('button[data-copy="api-key"]');
    await until(
      'the copy is confirmed',
      async () => (await textIn(page, '#api-key-copied')) === 'Copied to the clipboard.',
    );
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).to.equal(key);
    await page.screenshot({
      path: join(OUTPUT, 'api-key.png'),
      fullPage: true,
      mask: [page.locator('#api-key')],
      maskColor: '#d5dae0',
    });
    await checkAccessibility(page, 'new API key');

    const old = await verifyWith(TEST_API_KEY);
    expect(old.status).to.equal(401);
    expect(old.body).to.deep.equal(INVALID_API_KEY);
    const fresh = await verifyWith(key);
    expect(fresh.status).to.equal(200);
    expect(fresh.body.valid).to.equal(true);
    apiKey = key;
  });

  it('configures a webhook to a test receiver, sends a test and sees it in the delivery log', async function () {
    await page.click('nav.sidenav a:has-text("Webhooks")');
    expect(await textIn(page, 'main')).to.include('No webhook endpoints yet.');
    await page.click('a:has-text("New webhook")');
    await checkAccessibility(page, 'new webhook');
    await page.fill('#url', receiver.url);
    await page.uncheck('#events-all');
    await page.check('#events-suspicious_activity');
    await page.click('button:has-text("Create webhook")');
    expect(await page.textContent('h1')).to.equal('Webhook created');
    expect(await page.inputValue('#webhook-secret')).to.match(/^whsec_/);
    await checkAccessibility(page, 'webhook secret');
    await page.click('a:has-text("Done: go to the endpoint")');
    webhookPath = new URL(page.url()).pathname;
    await page.click('button:has-text("Send a test event")');
    expect(await page.textContent('.notice')).to.include('Test event queued');
    const [received] = await receiver.waitFor(1);
    expect(JSON.parse(received!.body).event).to.equal('webhook.test');
    await until('the delivery is logged as delivered', async () => {
      await page.goto(`${system.url}${webhookPath}`);
      return (await page.textContent('.delivery-list'))?.includes('Delivered') ?? false;
    });
    await page.click('summary:has-text("Attempts of delivery")');
    expect(await page.textContent('.delivery-list table'))
      .to.include('HTTP 200')
      .and.include('ok');
    await page.screenshot({ path: join(OUTPUT, 'webhook.png'), fullPage: true });
    await checkAccessibility(page, 'webhook endpoint');
  });

  it('resolves the anomaly the detector raised', async function () {
    await page.click('nav.sidenav a:has-text("Monitoring")');
    expect(await textIn(page, 'main')).to.include('Unusual activation pattern');
    await checkAccessibility(page, 'monitoring');
    await page.fill('.resolve-form input[name="note"]', 'Two machines of one office: expected');
    await page.click('.resolve-form button:has-text("Resolve")');
    expect(await page.textContent('.notice')).to.equal('Anomaly resolved.');
    await page.selectOption('#filter-state', 'resolved');
    await page.click('button:has-text("Apply")');
    expect(await textIn(page, 'main'))
      .to.include('Resolved by admin')
      .and.include('Two machines of one office');
    await page.screenshot({ path: join(OUTPUT, 'monitoring.png'), fullPage: true });
  });

  it('finds a license from the header search, linked to its page in the panel', async function () {
    await page.fill('#global-search', license.key);
    await page.press('#global-search', 'Enter');
    await page.waitForURL(/\/admin\/search\?q=/);
    expect(await page.getAttribute(`table.list a:has-text("${license.key}")`, 'href')).to.equal(
      `/admin/licenses/${license.id}`,
    );
    await checkAccessibility(page, 'search');
  });

  it('a viewer can open every one of these pages and change nothing', async function () {
    await page.click('button:has-text("Log out")');
    await page.fill('#username', 'ops.e2e.viewer');
    await page.fill('#password', 'viewer-password-1');
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${system.url}/admin/`);
    for (const path of [
      '/admin/',
      '/admin/monitoring?state=all',
      '/admin/webhooks',
      webhookPath,
      '/admin/administration',
      `/admin/search?q=${license.key}`,
    ]) {
      const response = await page.goto(`${system.url}${path}`);
      expect(response?.status(), path).to.equal(200);
      expect(await postForms(page), path).to.deep.equal(['/logout']);
      await checkAccessibility(page, `viewer ${path}`);
    }
    expect(await page.locator('#users-heading').count()).to.equal(0);
    const status = await page.evaluate(async () => {
      const csrf = document.querySelector('input[name="_csrf"]').value;
      const res = await fetch('/admin/administration/api-key/regenerate', {
        method: 'POST',
        body: new URLSearchParams({ _csrf: csrf, confirm: 'yes' }),
      });
      return res.status;
    });
    expect(status).to.equal(403);
    expect((await verifyWith(apiKey)).status, 'the key is unchanged').to.equal(200);
    const create = await page.goto(`${system.url}/admin/webhooks/new`);
    expect(create?.status()).to.equal(403);
  });
});
