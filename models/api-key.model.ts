/**
 * The system API key. There is exactly one active key by construction: it is the single document with
 * _id "system", and regeneration replaces it in one atomic write. Only the SHA-256 digest is stored,
 * with a displayable prefix.
 */
import mongoose, { Schema } from 'mongoose';

export interface ApiKeyDoc {
  _id: string;
  digest: string;
  prefix: string;
  created_at: Date;
}

export const SYSTEM_KEY_ID = 'system';

const apiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String, required: true },
    digest: { type: String, required: true, match: /^[0-9a-f]{64}$/ },
    prefix: { type: String, required: true, maxlength: 32 },
    created_at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'api_keys' },
);

export const ApiKeyModel = mongoose.model<ApiKeyDoc>('ApiKey', apiKeySchema);
