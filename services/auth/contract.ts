/** What other services may rely on from the auth service: the shapes of its answers. */
import type { AdminRole } from '../../models/admin-user.model.ts';

/** What `auth.login` answers: a signed admin token, its expiry and the user's role. */
export interface LoginAnswer {
  token: string;
  expires_at: string;
  role: AdminRole;
}

/** An admin user as the admin API shows it (never its password hash). */
export interface AdminUserAnswer {
  id: number;
  username: string;
  role: AdminRole;
  created_at: string;
}

/** What `auth.listUsers` answers. */
export interface UserListAnswer {
  users: AdminUserAnswer[];
  total: number;
  page: number;
  limit: number;
}

/** What may be shown of the active system API key. */
export interface ApiKeyAnswer {
  prefix: string;
  created_at: string;
}

/** What `auth.regenerateApiKey` answers: the new key itself, shown this once and never stored. */
export interface NewApiKeyAnswer extends ApiKeyAnswer {
  api_key: string;
}

/** What `auth.activeApiKeyDigest` answers the gateways: null until a key exists. */
export type ApiKeyDigestAnswer = { digest: string } | null;

/** A short-lived token and its expiry (the analytics token). */
export interface TokenAnswer {
  token: string;
  expires_at: string;
}
