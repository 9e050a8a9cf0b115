// End to end in headless Chromium (playwright-core driving Debian's chromium): a staff member signs in,
// creates a lead with a contact and an activity, edits it, finds it by search, exports CSV, imports a
// CSV with one bad row and reads the report, converts the lead, deletes another and signs out; a viewer
// can change nothing. Screenshots go to test-output/; basic accessibility checks run on each page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { OUTPUT, checkAccessibility, openBrowser, type Browser } from '../helpers/browser.ts';
import { http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';

// The browser's globals, inside page.evaluate callbacks (the project compiles without the DOM library).
declare const document: any;

describe('lead pages in a browser (headless Chromium)', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let browser: Browser | undefined;
  let page: Page;
  let token: string;

  before(async function () {
    await resetStores();
    system = await startSystem({
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000', RATE_LIMIT_ADMIN_PER_MINUTE: '100000' },
    });
    token = await adminToken(system.url);
    await viewerToken(system.url, token, 'e2e.viewer');
    browser = await openBrowser('leads-e2e', { acceptDownloads: true });
    page = browser.page;
  });

  after(async function () {
    await browser?.close();
    await system?.stop();
  });

  it('a staff member signs in from the page they asked for', async function () {
    await page.goto(`${system.url}/leads/`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    await checkAccessibility(page, 'login');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin_test_password');
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${system.url}/leads/`);
    expect(await page.textContent('h1')).to.equal('Leads');
  });

  it('creates a lead, adds a contact and an activity, and edits it', async function () {
    await page.click('a:has-text("New lead")');
    await checkAccessibility(page, 'new lead');
    await page.fill('#name', 'Browser University');
    await page.selectOption('#type', 'university');
    await page.fill('#country', 'Portugal');
    await page.fill('#website', 'https://browser-university.example');
    await page.click('button:has-text("Create lead")');
    await page.waitForURL(/\/leads\/edit\/\d+\?notice=created$/);
    expect(await page.textContent('.notice')).to.equal('Lead created.');

    await page.fill('#contact-name', 'Beatriz Browser');
    await page.fill('#contact-email', 'beatriz@browser-university.example');
    await page.fill('#contact-role', 'Head of IT');
    await page.click('button:has-text("Add contact")');
    expect(await page.textContent('.notice')).to.equal('Contact added.');

    await page.selectOption('#activity-type', 'meeting');
    await page.selectOption('#activity-contact_id', { label: 'Beatriz Browser' });
    await page.fill('#activity-text', 'Demo on campus');
    await page.click('button:has-text("Record activity")');
    expect(await page.textContent('.notice')).to.equal('Activity recorded.');
    expect(await page.textContent('.activities'))
      .to.include('Demo on campus')
      .and.include('with Beatriz Browser');

    await page.selectOption('#status', 'qualified');
    await page.fill('#notes', 'Wants 50 seats');
    await page.click('button:has-text("Save changes")');
    expect(await page.textContent('.notice')).to.equal('Changes saved.');
    expect(await page.inputValue('#notes')).to.equal('Wants 50 seats');
    await page.screenshot({ path: join(OUTPUT, 'lead-edit.png'), fullPage: true });
    await checkAccessibility(page, 'edit lead');
  });

  it('shows a refused field next to it and keeps the input', async function () {
    await page.fill('#website', 'not a web address');
    await page.click('button:has-text("Save changes")');
    expect(await page.textContent('#website-error')).to.include('http:// or https://');
    expect(await page.inputValue('#website')).to.equal('not a web address');
    await page.fill('#website', 'https://browser-university.example');
    await page.click('button:has-text("Save changes")');
  });

  it('finds the lead by its contact email from the header search', async function () {
    // The header searches the panel (customers, licenses, devices); its page offers the lead search.
    await page.fill('#global-search', 'beatriz@browser');
    await page.press('#global-search', 'Enter');
    await page.waitForURL(/\/admin\/search\?q=beatriz%40browser/);
    await page.click('a:has-text("Search the leads for")');
    await page.waitForURL(/\/leads\/\?q=beatriz%40browser/);
    expect(await page.locator('table.list tbody tr').count()).to.equal(1);
    expect(await page.textContent('table.list tbody')).to.include('Browser University');
  });

  it('exports the current filter as CSV', async function () {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a:has-text("Export these leads as CSV")'),
    ]);
    const text = readFileSync(await download.path(), 'utf8');
    expect(text).to.include('Browser University').and.include('beatriz@browser-university.example');
    expect(text.trim().split('\r\n')).to.have.lengthOf(2);
  });

  it('imports a CSV with one bad row and shows the report', async function () {
    await page.goto(`${system.url}/leads/`);
    const csv =
      'name,type,country\r\nImported Agency,government,PT\r\nImported Corp,company,PT\r\nBroken Row,spaceship,PT\r\n';
    await page.setInputFiles('#import-file', { name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.click('button:has-text("Import")');
    expect(await page.textContent('h1')).to.equal('Import report');
    const summary = await page.textContent('.stats');
    expect(summary?.replace(/\s+/g, ' ')).to.include('2 created').and.include('0 updated').and.include('1 rejected');
    expect(await page.textContent('table.list'))
      .to.include('Broken Row')
      .and.include('type must be one of');
    await page.goto(`${system.url}/leads/`);
    await page.screenshot({ path: join(OUTPUT, 'leads-list.png'), fullPage: true });
    await checkAccessibility(page, 'lead list');
  });

  it('converts the lead into a customer', async function () {
    await page.click('a:has-text("Browser University")');
    await page.click('button:has-text("Convert to customer")');
    expect(await page.textContent('.notice')).to.equal('Converted: a new customer was created for this lead.');
    const customerId = Number((await page.textContent('.converted'))!.match(/customer (\d+)/)![1]);
    const customer = await http('GET', `${system.url}/api/customer/${customerId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(customer.body.customer).to.include({
      name: 'Browser University',
      email: 'beatriz@browser-university.example',
    });
  });

  it('deletes another lead after a confirmation', async function () {
    await page.goto(`${system.url}/leads/?q=imported+corp`);
    await page.click('a:has-text("Imported Corp")');
    await page.click('button:has-text("Delete lead")');
    expect(await page.textContent('h1')).to.equal('Delete Imported Corp?');
    await page.click('button:has-text("Yes, delete this lead")');
    expect(await page.textContent('.notice')).to.equal('Lead deleted.');
    expect(await page.textContent('main')).to.not.include('Imported Corp');
  });

  it('signs out', async function () {
    await page.click('button:has-text("Log out")');
    await page.waitForURL(/\/login\?notice=signed_out/);
    expect(await page.textContent('.notice')).to.equal('You have signed out.');
    await page.goto(`${system.url}/leads/`);
    expect(new URL(page.url()).pathname).to.equal('/login');
  });

  it('a viewer sees everything and can change nothing', async function () {
    await page.goto(`${system.url}/login?next=%2Fleads%2F`);
    await page.fill('#username', 'e2e.viewer');
    await page.fill('#password', 'viewer-password-1');
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${system.url}/leads/`);
    expect(await page.locator('a:has-text("New lead")').count()).to.equal(0);
    expect(await page.locator('#import-file').count()).to.equal(0);
    await page.click('a:has-text("Browser University")');
    expect(await page.textContent('main')).to.include('Wants 50 seats');
    const forms = await page
      .locator('form[method="post"]')
      .evaluateAll(els => els.map(el => el.getAttribute('action')));
    expect(forms).to.deep.equal(['/logout']);
    await checkAccessibility(page, 'read-only lead');

    // A forged change with the viewer's own valid CSRF token is refused all the same.
    const leadPath = new URL(page.url()).pathname;
    const status = await page.evaluate(async path => {
      const csrf = document.querySelector('input[name="_csrf"]').value;
      const res = await fetch(path.replace('/edit/', '/update/'), {
        method: 'POST',
        body: new URLSearchParams({ _csrf: csrf, name: 'Hacked', type: 'company' }),
      });
      return res.status;
    }, leadPath);
    expect(status).to.equal(403);
    const response = await page.goto(`${system.url}/leads/create`);
    expect(response?.status()).to.equal(403);
    await page.goto(`${system.url}${leadPath}`);
    expect(await page.textContent('h1')).to.equal('Browser University');
  });
});
