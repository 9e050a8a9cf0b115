/**
 * Loads license views in batches. Views are loaded by cold verifies and reloaded when they expire
 * (view-cache.ts), and both come in crowds: a gateway that loaded a thousand views in one minute reloads
 * the thousand together a minute later (view-cache.ts's cohorts). One at a time, each cost a license
 * read, a customer call and a device call: about 1.1 ms of the server's CPU and 1.7 ms of the
 * database's (bench/view-reload.ts). The keys asked for within one turn of the event loop are loaded
 * together instead, one read of the licenses, one `customer.statuses` and one `device.seatsOf` for up
 * to BATCH_MAX of them: about 40 us and 0.3 ms a view.
 *
 * A batch that fails fails each of its keys (the cache keeps answering with their old views, within
 * its staleness limit), exactly as one failed load did before.
 */
import type { ServiceBroker } from 'moleculer';
import { Errors } from 'moleculer';
import { LicenseModel, type LicenseDoc } from '../../models/license.model.ts';
import type { ActivationAnswer, MachineSeat, SeatsByLicense } from '../device/contract.ts';
import { isRefusedKey } from './license-keys.ts';
import type { ViewLoadCounters } from './metrics.ts';
import type { LicenseView } from './verdict.ts';
import type { CustomerStatusAnswer } from '../customer/contract.ts';
import { NO_LICENSE_VIEW, viewOf } from './views.ts';

/** Keys per batch: a batch's reads stay small enough not to hold the event loop for long. */
export const BATCH_MAX = 200;

type Waiting = PromiseWithResolvers<LicenseView>;

export class ViewLoader {
  private readonly broker: ServiceBroker;
  private pending = new Map<string, Waiting>();
  private scheduled = false;
  private readonly counters: ViewLoadCounters | undefined;

  constructor(broker: ServiceBroker, counters?: ViewLoadCounters) {
    this.broker = broker;
    this.counters = counters;
  }

  /** The view of a key, loaded with the other keys asked for in this turn of the event loop. */
  load(key: string): Promise<LicenseView> {
    if (isRefusedKey(key)) return Promise.resolve(NO_LICENSE_VIEW);
    let entry = this.pending.get(key);
    if (!entry) {
      entry = Promise.withResolvers<LicenseView>();
      this.pending.set(key, entry);
    }
    if (this.pending.size >= BATCH_MAX) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return entry.promise;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.counters?.batches.inc();
    this.counters?.views.inc(batch.size);
    this.loadMany([...batch.keys()]).then(
      views => {
        for (const [key, entry] of batch) entry.resolve(views.get(key) ?? NO_LICENSE_VIEW);
      },
      (err: unknown) => {
        for (const entry of batch.values()) entry.reject(err);
      },
    );
  }

  /** The views of some keys (a key naming no license is absent from the answer). */
  async loadMany(keys: string[]): Promise<Map<string, LicenseView>> {
    // One reply for the whole batch (the server's first reply holds 101 documents unless told more).
    const docs = await LicenseModel.find(keys.length === 1 ? { key: keys[0] } : { key: { $in: keys } })
      .batchSize(BATCH_MAX)
      .lean();
    const views = new Map<string, LicenseView>();
    if (docs.length === 0) return views;
    const customerIds = [...new Set(docs.flatMap(d => (d.customer_id === null ? [] : [d.customer_id])))];
    const [customers, seats] = await Promise.all([
      customerIds.length === 0
        ? Promise.resolve([])
        : this.broker.call<CustomerStatusAnswer[], { ids: number[] }>('customer.statuses', { ids: customerIds }),
      this.seatsOf(docs),
    ]);
    const byId = new Map(customers.map(c => [c.id, c]));
    for (const doc of docs) {
      const customer = doc.customer_id === null ? null : (byId.get(doc.customer_id) ?? null);
      views.set(doc.key, viewOf(doc, customer, seats[doc._id] ?? []));
    }
    return views;
  }

  /**
   * The machines of these licenses. A device node of the release before `device.seatsOf` (a rolling
   * upgrade) is asked the old way, one license at a time.
   */
  private async seatsOf(docs: LicenseDoc[]): Promise<SeatsByLicense> {
    const ids = docs.map(d => d._id);
    try {
      return await this.broker.call<SeatsByLicense, { license_ids: number[] }>('device.seatsOf', { license_ids: ids });
    } catch (err) {
      if (!(err instanceof Errors.ServiceNotFoundError)) throw err;
    }
    const seats: SeatsByLicense = {};
    await Promise.all(
      ids.map(async id => {
        const all = await this.broker.call<ActivationAnswer[], { license_id: number }>('device.forLicense', {
          license_id: id,
        });
        seats[id] = all.map((a): MachineSeat => ({ id: a.id, hardware_hash: a.hardware_hash, is_active: a.is_active }));
      }),
    );
    return seats;
  }
}
