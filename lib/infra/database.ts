/**
 * One mongoose connection per process, shared by the services that run in it. The same code runs
 * against the embedded FerretDB server and MongoDB 7, so it uses only what both support
 * (docs/storage.md): no transactions, no $lookup, no TTL or partial indexes.
 */
import mongoose from 'mongoose';
import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, MongoClient } from 'mongodb';
import { config } from '../../config/index.ts';
import { succeedsWithin } from './deadline.ts';

// Filters keep only fields the model declares, so a stray key from a caller cannot widen a query.
mongoose.set('strictQuery', true);
// While disconnected, mongoose queues commands; a queued command fails after this long instead of 10 s.
mongoose.set('bufferTimeoutMS', 2000);
// No `create` per model at start-up: it fails with NamespaceExists on every start but the first, which
// db_command_duration_seconds would count as database errors. createIndexes (db.mixin.ts) and the first
// insert create a collection; reading one that does not exist yet answers nothing, as an empty one does.
mongoose.set('autoCreate', false);

let connecting: Promise<typeof mongoose> | undefined;
let watched: MongoClient | undefined;
let users = 0;

export async function acquireDatabase(): Promise<typeof mongoose> {
  users += 1;
  connecting ??= mongoose.connect(config().mongoUrl, {
    // A database that is down or hangs must fail a request within a few seconds (503), not hold it:
    // server selection gives up after 2 s, mongoose does not queue commands while disconnected for
    // longer than that (bufferTimeoutMS above), and an operation whose server stops answering fails
    // once its socket has been silent for DATABASE_SOCKET_TIMEOUT_MS (default 5 s; the driver retries a
    // read once, so a hung server costs a read about twice that; the retry rides out a replica-set
    // failover). On MongoDB every query here is a key lookup or an indexed page: milliseconds.
    serverSelectionTimeoutMS: 2000,
    connectTimeoutMS: 2000,
    socketTimeoutMS: config().databaseSocketTimeoutMs,
    autoIndex: false,
    maxPoolSize: 20,
    // Each command's duration feeds /metrics and the slow-command log (lib/observability/database-metrics.ts).
    monitorCommands: true,
  });
  try {
    const connected = await connecting;
    watchCommands(connected.connection.getClient());
    return connected;
  } catch (err) {
    connecting = undefined;
    users -= 1;
    throw err;
  }
}

export async function releaseDatabase(): Promise<void> {
  users = Math.max(0, users - 1);
  if (users === 0 && connecting) {
    connecting = undefined;
    await mongoose.disconnect();
  }
}

/** Round trip to the server with a deadline; false when the database cannot answer. */
export async function pingDatabase(timeoutMs = 1000): Promise<boolean> {
  const db = mongoose.connection.db;
  if (mongoose.connection.readyState !== mongoose.ConnectionStates.connected || !db) return false;
  return succeedsWithin(async () => (await db.command({ ping: 1 })).ok === 1, timeoutMs);
}

/** One finished database command: its name, the collection it named (if any), how long it took. */
export interface DatabaseCommand {
  command: string;
  collection: string;
  ms: number;
  ok: boolean;
}

type CommandListener = (command: DatabaseCommand) => void;
const listeners = new Set<CommandListener>();

/** Calls `listener` after every command of this process's connection; answers the function that stops it. */
export function onDatabaseCommand(listener: CommandListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The driver names the collection only when a command starts, and its duration only when it ends: the
 * started commands wait in a map by request id (bounded by the pool's in-flight commands).
 */
function watchCommands(client: MongoClient): void {
  if (watched === client) return;
  watched = client;
  const collections = new Map<number, string>();
  client.on('commandStarted', (e: CommandStartedEvent) => {
    const target: unknown = e.command[e.commandName];
    collections.set(e.requestId, typeof target === 'string' ? target : '');
  });
  const finish = (e: CommandSucceededEvent | CommandFailedEvent, ok: boolean) => {
    const collection = collections.get(e.requestId) ?? '';
    collections.delete(e.requestId);
    if (listeners.size === 0) return;
    const done: DatabaseCommand = { command: e.commandName, collection, ms: e.duration, ok };
    for (const listener of listeners) listener(done);
  };
  client.on('commandSucceeded', e => finish(e, true));
  client.on('commandFailed', e => finish(e, false));
}
