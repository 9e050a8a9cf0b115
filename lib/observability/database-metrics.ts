/**
 * What the database costs, seen from this process: every command's duration in /metrics
 * (`db_command_duration_seconds` by command and collection), and a warning in the log for each command
 * slower than DATABASE_SLOW_COMMAND_MS, naming the command and collection only (filters and documents
 * may hold keys and personal data, so they are never logged). One set per broker: several brokers share
 * a process in tests, and each renders its own metrics.
 */
import type { ServiceBroker } from 'moleculer';
import { config } from '../../config/index.ts';
import { onDatabaseCommand, type DatabaseCommand } from '../infra/database.ts';
import { hotMetrics } from './hot-metrics.ts';

/** Per broker: how many of its services use the database, and the function that stops recording. */
const watching = new WeakMap<ServiceBroker, { users: number; stop: () => void }>();

/** Records this process's database commands for `broker` while any of its services uses the database. */
export function watchDatabaseCommands(broker: ServiceBroker): void {
  const current = watching.get(broker);
  if (current) {
    current.users += 1;
    return;
  }
  const family = hotMetrics(broker).histogram(
    'db_command_duration_seconds',
    'Time from sending a database command to its answer, by command, collection and outcome',
  );
  const logger = broker.getLogger('database');
  const slowMs = config().databaseSlowCommandMs;
  const record = (c: DatabaseCommand) => {
    // The family keeps one child per label set; a command's round trip dwarfs finding it.
    family.child({ command: c.command, collection: c.collection, outcome: c.ok ? 'ok' : 'error' }).observe(c.ms / 1000);
    if (c.ms >= slowMs) {
      logger.warn('Slow database command', {
        command: c.command,
        collection: c.collection,
        ms: Math.round(c.ms),
        ok: c.ok,
      });
    }
  };
  watching.set(broker, { users: 1, stop: onDatabaseCommand(record) });
}

/** One of `broker`'s services stopped using the database; the last one stops the recording. */
export function unwatchDatabaseCommands(broker: ServiceBroker): void {
  const current = watching.get(broker);
  if (!current) return;
  current.users -= 1;
  if (current.users > 0) return;
  current.stop();
  watching.delete(broker);
}
