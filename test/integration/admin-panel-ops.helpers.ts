// What the page suites share (the Admin Panel's operations and business pages, the lead pages): a system
// with an admin and a viewer signed in to the pages (and their API tokens), and the admin API and client
// API calls that set up their data.
import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import mongoose from 'mongoose';
import type { ServiceName } from '../../config/index.ts';
import { ALL_SERVICES, TEST_API_KEY, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';
import { PageClient } from '../helpers/pages.ts';

export interface OpsFixture {
  system: TestSystem;
  db: mongoose.Connection;
  admin: PageClient;
  viewer: PageClient;
  adminToken: string;
  viewerToken: string;
  stop(): Promise<void>;
}

export const VIEWER_PASSWORD = 'viewer-password-1';

export async function opsFixture(
  viewerName: string,
  env: Record<string, string> = {},
  services: ServiceName[] = ALL_SERVICES,
): Promise<OpsFixture> {
  await resetStores();
  const system = await startSystem({
    nodes: [services],
    env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000', RATE_LIMIT_ADMIN_PER_MINUTE: '100000', ...env },
  });
  const db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
  const token = await adminToken(system.url);
  const viewerApiToken = await viewerToken(system.url, token, viewerName);
  const admin = new PageClient(system.url);
  await admin.loginAdmin();
  const viewer = new PageClient(system.url);
  await viewer.login(viewerName, VIEWER_PASSWORD);
  return {
    system,
    db,
    admin,
    viewer,
    adminToken: token,
    viewerToken: viewerApiToken,
    async stop() {
      await db.close();
      await system.stop();
    },
  };
}

export async function api(f: OpsFixture, method: string, path: string, body?: unknown) {
  const res = await http(method, `${f.system.url}${path}`, {
    headers: { authorization: `Bearer ${f.adminToken}` },
    ...(body !== undefined ? { body } : {}),
  });
  return res;
}

export async function createCustomer(f: OpsFixture, name: string): Promise<{ id: number; name: string }> {
  const res = await api(f, 'POST', '/api/customers', { name, email: `c${randomInt(1e9)}@example.com` });
  expect(res.status, res.text).to.equal(201);
  return res.body;
}

export async function createLicense(
  f: OpsFixture,
  fields: Record<string, unknown> = {},
): Promise<{ id: number; key: string; customer_id: number | null }> {
  const res = await api(f, 'POST', '/api/licenses', {
    type: 'subscription',
    max_activations: 5,
    max_users: 5,
    valid_until: '2099-12-31',
    ...fields,
  });
  expect(res.status, res.text).to.equal(201);
  return res.body;
}

export async function activate(f: OpsFixture, key: string, hardware: string, apiKey = TEST_API_KEY) {
  return http('POST', `${f.system.url}/api/license/activate`, {
    body: { license_key: key, hardware_hash: hardware, machine_name: `machine ${hardware}` },
    headers: { 'x-api-key': apiKey },
  });
}

export async function verify(f: OpsFixture, key: string, hardware: string, apiKey = TEST_API_KEY) {
  return http('POST', `${f.system.url}/api/license/verify`, {
    body: { license_key: key, hardware_hash: hardware },
    headers: { 'x-api-key': apiKey },
  });
}

/** A day `days` from today (UTC), as the admin API takes dates. */
export function dayFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Polls until `check` passes (facts are handled after the call that caused them answers). */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }
}

/** The POST forms of a page, by action (a viewer's page must have only the logout form). */
export function postForms(text: string): string[] {
  return [...text.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"/g)].map(m => m[1]!);
}
