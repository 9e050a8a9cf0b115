// End to end in headless Chromium (playwright-core driving Debian's chromium): a staff member signs in,
// creates a customer and a license; a client activates it through the HTTP API and the activation shows
// on the license page and in the dashboard's live figures; the staff member deactivates the device and
// the next verify is refused (NOT_ACTIVATED); allocates and releases a resource; publishes a release that
// a client's update check then sees; bulk-deactivates after a confirmation. A viewer opens every one of
// these pages and can change nothing. Screenshot of a license page into test-output/; accessibility
// checks (labels, heading order, every control reachable by Tab) on each page.
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { OUTPUT, checkAccessibility, openBrowser, type Browser } from '../helpers/browser.ts';
import { http, resetStores, startSystem, TEST_API_KEY, type TestSystem } from '../helpers/system.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';

// The browser's globals, inside page.evaluate callbacks (the project compiles without the DOM library).
declare const document: any;

const CLIENT = { 'x-api-key': TEST_API_KEY };

/** The forms of the page that would change something (logout aside). */
function changeForms(page: Page): Promise<string[]> {
  return page
    .locator('form[method="post"]')
    .evaluateAll(els => els.map(el => el.getAttribute('action')).filter(a => a !== '/logout'));
}

describe('Admin Panel business pages in a browser (headless Chromium)', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let browser: Browser | undefined;
  let page: Page;
  let licenseKey: string;
  let licensePath: string;
  let customerPath: string;
  let activationsBefore: number;

  const go = (path: string) => page.goto(`${system.url}${path}`);
  const notice = () => page.textContent('.notice');
  const verify = () =>
    http('POST', `${system.url}/api/license/verify`, {
      headers: CLIENT,
      body: { license_key: licenseKey, hardware_hash: 'e2e-hardware-1' },
    });

  /** The dashboard's live figure of active activations (panel-ops' dashboard; null when it does not show it). */
  async function dashboardActivations(): Promise<number | null> {
    await go('/admin/');
    const figure = page.locator('[data-figure="total_activations"] .figure');
    if ((await figure.count()) === 0) return null;
    return Number(await figure.textContent());
  }

  before(async function () {
    await resetStores();
    system = await startSystem({
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        // The dashboard's live figures as they are, not as they were a few seconds ago.
        LIVE_STATS_CACHE_MS: '0',
      },
    });
    await viewerToken(system.url, await adminToken(system.url), 'biz.e2e.viewer');
    browser = await openBrowser('admin-business-e2e');
    page = browser.page;
  });

  after(async function () {
    await browser?.close();
    await system?.stop();
  });

  it('a staff member signs in and creates a customer', async function () {
    await go('/admin/customers');
    expect(new URL(page.url()).pathname).to.equal('/login');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'admin_test_password');
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${system.url}/admin/customers`);
    await checkAccessibility(page, 'customer list');
    activationsBefore = (await dashboardActivations())!;
    expect(activationsBefore, 'the dashboard shows the active activations').to.be.a('number');

    await go('/admin/customers');
    await page.click('a:has-text("New customer")');
    await checkAccessibility(page, 'new customer');
    await page.fill('#name', 'Browser Labs');
    await page.fill('#email', 'not an email');
    await page.click('button:has-text("Create customer")');
    expect(await page.textContent('#email-error')).to.include('Enter a valid email address');
    expect(await page.inputValue('#name')).to.equal('Browser Labs');
    await page.fill('#email', 'it@browser-labs.example');
    await page.fill('#company', 'Browser Labs GmbH');
    await page.click('button:has-text("Create customer")');
    await page.waitForURL(/\/admin\/customers\/\d+\?notice=created$/);
    expect(await notice()).to.equal('Customer created.');
    customerPath = new URL(page.url()).pathname;
    await checkAccessibility(page, 'customer page');
  });

  it('creates a license for the customer from its page', async function () {
    await page.click('a:has-text("New license")');
    expect(await page.locator('#customer_id option:checked').textContent()).to.include('Browser Labs');
    await checkAccessibility(page, 'new license');
    await page.selectOption('#type', 'subscription');
    await page.fill('#max_activations', '2');
    await page.fill('#max_users', '2');
    await page.fill('#valid_until', '2099-12-31');
    await page.click('button:has-text("Create license")');
    await page.waitForURL(/\/admin\/licenses\/\d+\?notice=created$/);
    expect(await notice()).to.equal('License created.');
    licenseKey = (await page.textContent('h1'))!.trim();
    expect(licenseKey).to.match(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    licensePath = new URL(page.url()).pathname;
    expect(await page.textContent('main')).to.include('No device has activated this license yet.');
  });

  it('a client activation shows on the license page and in the dashboard figures', async function () {
    const activated = await http('POST', `${system.url}/api/license/activate`, {
      headers: CLIENT,
      body: { license_key: licenseKey, hardware_hash: 'e2e-hardware-1', machine_name: 'E2E Workstation' },
    });
    expect(activated.status, activated.text).to.be.oneOf([200, 201]);
    expect((await verify()).body).to.include({ valid: true, code: 'VALID' });
    await go(licensePath);
    expect(await page.textContent('#devices'))
      .to.include('E2E Workstation')
      .and.include('e2e-hardware-1');
    expect(await page.textContent('#sessions')).to.include('1 of 2 concurrent users in use now.');
    expect(await dashboardActivations(), "the dashboard's active activations").to.equal(activationsBefore + 1);
  });

  it('deactivates the device after a confirmation: the next verify is NOT_ACTIVATED', async function () {
    await go(licensePath);
    await page.click('button:has-text("Deactivate E2E Workstation")');
    expect(await page.textContent('h1')).to.equal('Deactivate E2E Workstation?');
    await checkAccessibility(page, 'device confirmation');
    await page.click('button:has-text("Yes, deactivate this device")');
    await page.waitForURL(/notice=device_deactivated/);
    expect(await notice()).to.include('Device deactivated');
    expect((await verify()).body).to.include({ valid: false, code: 'NOT_ACTIVATED' });
  });

  it('adds a resource, allocates it to the license and releases it', async function () {
    await go('/admin/resources');
    await page.fill('#new-type', 'server');
    await page.fill('#new-identifier', 'E2E-SRV-1');
    await page.click('button:has-text("Add resource")');
    expect(await notice()).to.equal('Resource added to the pool.');
    await checkAccessibility(page, 'resources');
    await page.click('a:has-text("Allocate E2E-SRV-1")');
    await page.fill('#q', licenseKey);
    await page.click('button:has-text("Find")');
    await checkAccessibility(page, 'allocate');
    const choice = await page.locator('#license_id option', { hasText: licenseKey }).getAttribute('value');
    await page.selectOption('#license_id', choice);
    await page.click('button:has-text("Allocate to this license")');
    expect(await notice()).to.equal('Resource allocated.');
    await go(licensePath);
    expect(await page.textContent('#resources')).to.include('E2E-SRV-1');
    await page.click('button:has-text("Release E2E-SRV-1")');
    expect(await notice()).to.equal('Resource released.');
    expect(await page.textContent('#resources')).to.include('No resources allocated.');
  });

  it('the license page shows the history of it all; screenshot', async function () {
    // A second machine, running: the page then shows a live device and session beside the history.
    const second = { license_key: licenseKey, hardware_hash: 'e2e-hardware-2' };
    await http('POST', `${system.url}/api/license/activate`, {
      headers: CLIENT,
      body: { ...second, machine_name: 'E2E Laptop', app_version: '9.0.2' },
    });
    await http('POST', `${system.url}/api/license/verify`, { headers: CLIENT, body: second });
    for (let i = 0; i < 50; i += 1) {
      await go(licensePath);
      if ((await page.textContent('#history'))!.includes('Released 1 resource')) break;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    const history = await page.textContent('#history');
    expect(history).to.include('License created.').and.include('Activated on device');
    expect(history).to.include('deactivated by an admin').and.include('Released 1 resource');
    expect(await page.textContent('#sessions')).to.include('1 of 2 concurrent users in use now.');
    await page.screenshot({ path: join(OUTPUT, 'admin-license.png'), fullPage: true });
    await checkAccessibility(page, 'license page');
  });

  it('publishes a release that a client update check sees', async function () {
    await go('/admin/releases');
    await checkAccessibility(page, 'releases');
    await page.fill('#version', '9.1.0');
    await page.fill('#download_url', 'https://downloads.example/9.1.0');
    await page.check('#is_mandatory');
    await page.fill('#release_notes', 'Published from the browser');
    await page.click('button:has-text("Publish")');
    expect(await notice()).to.include('Release published');
    expect(await page.textContent('table.list'))
      .to.include('9.1.0')
      .and.include('Mandatory');
    const check = await http('POST', `${system.url}/api/version/check`, {
      headers: CLIENT,
      body: { current_version: '1.0.0' },
    });
    expect(check.body).to.include({ update_available: true, latest_version: '9.1.0', is_mandatory: true });
  });

  it('bulk-deactivates the license from the list after a confirmation', async function () {
    await go(`/admin/licenses?q=${licenseKey}`);
    await checkAccessibility(page, 'license list');
    await page.check(`input[name="license_ids"]`);
    await page.selectOption('#op', 'deactivate');
    await page.click('button:has-text("Review the change")');
    expect(await page.textContent('h1')).to.equal('Deactivate 1 license?');
    expect(await page.textContent('main')).to.include(licenseKey);
    await checkAccessibility(page, 'bulk confirmation');
    await page.click('button:has-text("Yes, deactivate 1 license")');
    expect(await notice()).to.equal('The selected licenses were deactivated.');
    expect(await page.textContent('table.list')).to.include('Inactive');
  });

  it('a viewer opens every page and can change nothing', async function () {
    await page.click('button:has-text("Log out")');
    await page.waitForURL(/\/login/);
    await go('/login');
    await page.fill('#username', 'biz.e2e.viewer');
    await page.fill('#password', 'viewer-password-1');
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(/\/admin\//);
    for (const path of [
      '/admin/customers',
      customerPath,
      '/admin/licenses',
      licensePath,
      '/admin/resources',
      '/admin/releases',
    ]) {
      const response = await go(path);
      expect(response?.status(), path).to.equal(200);
      expect(await changeForms(page), path).to.deep.equal([]);
      expect(await page.locator('input[type="checkbox"]').count(), path).to.equal(0);
      await checkAccessibility(page, `viewer ${path}`);
    }
    await go(licensePath);
    expect(await page.textContent('#devices')).to.include('E2E Workstation');
    for (const path of ['/admin/customers/new', '/admin/licenses/new']) {
      expect((await go(path))?.status(), path).to.equal(403);
    }
    // A forged change with the viewer's own valid CSRF token is refused all the same.
    await go(licensePath);
    const status = await page.evaluate(async path => {
      const csrf = document.querySelector('input[name="_csrf"]').value;
      const res = await fetch(`${path}/toggle`, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }) });
      return res.status;
    }, licensePath);
    expect(status).to.equal(403);
    await go(licensePath);
    expect(await page.textContent('.details')).to.include('Inactive');
  });
});
