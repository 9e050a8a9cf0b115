/**
 * Admin users (the vendor's staff). Usernames are unique regardless of case: the embedded server has no
 * collation, so a lower-case copy carries the unique index and every lookup goes through it. The
 * password is stored only as an scrypt hash with its own salt and parameters (services/auth/passwords.ts).
 */
import mongoose, { Schema } from 'mongoose';

export const ADMIN_ROLES = ['admin', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** An scrypt hash with its own salt and cost parameters (services/auth/passwords.ts). */
export interface PasswordHash {
  alg: 'scrypt';
  /** scrypt cost (N), block size (r), parallelism (p). */
  n: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
}

export interface AdminUserDoc {
  _id: number;
  username: string;
  username_lower: string;
  password: PasswordHash;
  role: AdminRole;
  created_at: Date;
}

const passwordSchema = new Schema<PasswordHash>(
  {
    alg: { type: String, required: true, enum: ['scrypt'] },
    n: { type: Number, required: true },
    r: { type: Number, required: true },
    p: { type: Number, required: true },
    salt: { type: String, required: true },
    hash: { type: String, required: true },
  },
  { _id: false, versionKey: false },
);

const adminUserSchema = new Schema<AdminUserDoc>(
  {
    _id: { type: Number, required: true },
    username: { type: String, required: true, maxlength: 64 },
    username_lower: { type: String, required: true, maxlength: 64 },
    password: { type: passwordSchema, required: true },
    role: { type: String, required: true, enum: ADMIN_ROLES },
    created_at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'admin_users' },
);

adminUserSchema.index({ username_lower: 1 }, { unique: true });
adminUserSchema.index({ role: 1 });

export const AdminUserModel = mongoose.model<AdminUserDoc>('AdminUser', adminUserSchema);

export function normalizeUsername(username: string): string {
  return username.normalize('NFC').toLowerCase();
}
