/** What other services may rely on from the resource service: the shapes of its answers. */
import type { ResourceStatus } from '../../models/resource.model.ts';

/** A resource of the pool as the admin API shows it. */
export interface ResourceAnswer {
  id: number;
  type: string;
  identifier: string;
  status: ResourceStatus;
  license_id: number | null;
  allocated_at: string | null;
  notes: string;
  created_at: string;
  updated_at: string;
}

/** What `resource.releaseForLicenses` answers (license deletion): how many resources were freed. */
export interface ReleasedAnswer {
  released: number;
}
