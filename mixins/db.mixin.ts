/**
 * Database access for a service: connects the process's shared mongoose connection before the service
 * starts, makes sure the indexes of the models it owns exist (they carry the invariants), records the
 * commands' durations (lib/observability/database-metrics.ts), and adds a `health` action the gateway
 * asks for /health.
 */
import type { Model } from 'mongoose';
import type { ServiceSchema } from 'moleculer';
import { acquireDatabase, pingDatabase, releaseDatabase } from '../lib/infra/database.ts';
import { unwatchDatabaseCommands, watchDatabaseCommands } from '../lib/observability/database-metrics.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model, whatever its document type
type AnyModel = Model<any>;

export function dbMixin(models: AnyModel[]): Partial<ServiceSchema> {
  return {
    actions: {
      health: {
        visibility: 'public',
        async handler() {
          return { database: (await pingDatabase()) ? 'up' : 'down' };
        },
      },
    },
    async started() {
      await acquireDatabase();
      watchDatabaseCommands(this.broker);
      // createIndexes, not syncIndexes: never drop an index another version of the code still needs.
      await Promise.all(models.map(model => model.createIndexes()));
    },
    async stopped() {
      unwatchDatabaseCommands(this.broker);
      await releaseDatabase();
    },
  };
}
