/**
 * The records the security suite attacks around: two customers with a license and an activated machine
 * each (so ids of another owner exist), a resource, a release, a webhook endpoint with a known secret,
 * a viewer, and the tokens and cookies of the admin and the viewer (all of them are secrets the final
 * dump must not contain).
 */
import { expect } from 'chai';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { adminToken, loginAs } from './admin.ts';
import { PageClient } from './pages.ts';
import { TEST_API_KEY, http } from './system.ts';

export interface Fixtures {
  adminToken: string;
  viewerToken: string;
  analyticsToken: string;
  /** The admin's page session cookie value. */
  pageCookie: string;
  /** A valid value for each path parameter name. */
  ids: Record<string, string>;
  /** Path ids where the second belongs to another license than the first. */
  foreignIds: Record<string, string>;
  licenseKeyA: string;
  activationB: number;
}

async function created(res: Promise<{ status: number; text: string; body: any }>): Promise<any> {
  const answer = await res;
  expect(answer.status, answer.text).to.be.within(200, 201);
  return answer.body;
}

export async function securityFixtures(
  url: string,
  viewer: { username: string; password: string },
  webhookSecret: string,
): Promise<Fixtures> {
  const admin = await adminToken(url);
  const headers = { authorization: `Bearer ${admin}` };
  const post = (path: string, body: unknown) => created(http('POST', `${url}${path}`, { headers, body }));
  const viewerUser = await post('/api/admin/users', { ...viewer, role: 'viewer' });
  const viewerToken = await loginAs(url, viewer.username, viewer.password);

  const owners = [];
  for (const name of ['alpha', 'bravo']) {
    const customer = await post('/api/customers', { name: `Security ${name}`, email: `security.${name}@example.com` });
    const license = await post('/api/licenses', {
      customer_id: customer.id,
      type: 'subscription',
      max_activations: 3,
      max_users: 3,
      valid_until: '2035-12-31',
    });
    const activated = await created(
      http('POST', `${url}/api/license/activate`, {
        headers: { 'x-api-key': TEST_API_KEY },
        body: { license_key: license.key, hardware_hash: `sec-machine-${name[0]}` },
      }),
    );
    owners.push({ customer, license, activation: activated.activation.id as number });
  }
  const [a, b] = owners as [(typeof owners)[0], (typeof owners)[0]];
  const resource = await post('/api/resources', { type: 'server', identifier: 'SEC-RESOURCE-1' });
  await post('/api/versions', { version: '9.9.9', download_url: 'https://example.com/app-9.9.9.zip' });
  const webhook = await post('/api/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'], secret: webhookSecret });
  const analytics = await created(http('GET', `${url}/api/admin/license/auth-token`, { headers }));

  const page = new PageClient(url);
  await page.login(TEST_CREDENTIALS.adminUsername, TEST_CREDENTIALS.adminPassword);
  const pageCookie = [...page.cookies.entries()].find(([name]) => name.endsWith('ls_session'))?.[1] ?? '';

  return {
    adminToken: admin,
    viewerToken,
    analyticsToken: analytics.token,
    pageCookie,
    ids: {
      id: String(viewerUser.id),
      customer_id: String(a.customer.id),
      license_id: String(a.license.id),
      device_id: String(a.activation),
      resource_id: String(resource.id),
      webhook_id: String(webhook.id),
      delivery_id: '999999',
      anomaly_id: '999999',
      lead_id: '999999',
      contact_id: '999999',
      activity_id: '999999',
      license_key: a.license.key,
      file: 'swagger-ui.css',
    },
    foreignIds: { license_id: String(a.license.id), device_id: String(b.activation) },
    licenseKeyA: a.license.key,
    activationB: b.activation,
  };
}
