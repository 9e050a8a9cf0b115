/**
 * One mongoose connection per process, shared by the services that run in it. The same code runs
 * against the embedded FerretDB server and MongoDB 7, so it uses only what both support
 * (docs/storage.md): no transactions, no $lookup, no TTL or partial indexes.
 */
import mongoose from 'mongoose';
import { config } from '../../config/index.ts';
import { succeedsWithin } from './deadline.ts';

// Filters keep only fields the model declares, so a stray key from a caller cannot widen a query.
mongoose.set('strictQuery', true);
// While disconnected, mongoose queues commands; a queued command fails after this long instead of 10 s.
mongoose.set('bufferTimeoutMS', 2000);

let connecting: Promise<typeof mongoose> | undefined;
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
  });
  try {
    return await connecting;
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
