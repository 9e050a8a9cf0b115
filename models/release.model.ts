/**
 * Releases of the vendor's application, served by the version API. The version string is unique
 * (semver, validated before it gets here); ordering is semver order, computed in memory since a
 * product has tens of releases, not millions.
 */
import mongoose, { Schema } from 'mongoose';

export interface ReleaseDoc {
  _id: number;
  version: string;
  release_date: Date;
  download_url: string;
  release_notes: string;
  is_mandatory: boolean;
  created_at: Date;
}

const releaseSchema = new Schema<ReleaseDoc>(
  {
    _id: { type: Number, required: true },
    version: { type: String, required: true, maxlength: 64 },
    release_date: { type: Date, required: true },
    download_url: { type: String, required: true, maxlength: 2048 },
    release_notes: { type: String, default: '', maxlength: 20_000 },
    is_mandatory: { type: Boolean, default: false },
    created_at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'releases' },
);
releaseSchema.index({ version: 1 }, { unique: true });

export const ReleaseModel = mongoose.model<ReleaseDoc>('Release', releaseSchema);
