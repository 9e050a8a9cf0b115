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

let connecting: Promise<typeof mongoose> | undefined;
let users = 0;

export async function acquireDatabase(): Promise<typeof mongoose> {
  users += 1;
  connecting ??= mongoose.connect(config().mongoUrl, {
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
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
