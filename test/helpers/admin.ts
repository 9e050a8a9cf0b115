/** Admin tokens for the suites: the seeded admin, and viewers created through the admin API. */
import { expect } from 'chai';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { http } from './system.ts';

export async function loginAs(url: string, username: string, password: string): Promise<string> {
  const res = await http('POST', `${url}/api/admin/login`, { body: { username, password } });
  expect(res.status, res.text).to.equal(200);
  return res.body.token as string;
}

/** A token of the admin that development and test mode create. */
export function adminToken(url: string): Promise<string> {
  return loginAs(url, TEST_CREDENTIALS.adminUsername, TEST_CREDENTIALS.adminPassword);
}

/** Creates a viewer (read-only) user with the admin's token and logs it in. */
export async function viewerToken(url: string, admin: string, username: string): Promise<string> {
  const password = 'viewer-password-1';
  const created = await http('POST', `${url}/api/admin/users`, {
    headers: { authorization: `Bearer ${admin}` },
    body: { username, password, role: 'viewer' },
  });
  expect(created.status, created.text).to.equal(201);
  return loginAs(url, username, password);
}
