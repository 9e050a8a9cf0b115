// License seats and activation counters rely on single-document updates being atomic.
// FerretDB alone does not give that, so these tests pin it down for whatever server
// MONGO_URL points at (the embedded one in particular).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import { startEmbeddedMongo } from '../../scripts/lib/embedded-mongodb.ts';
import type { EmbeddedMongo } from '../../scripts/lib/embedded-mongodb.ts';

interface Counter {
  _id: string;
  used: number;
}

interface Seat {
  key: string;
}

function defineModels(conn: Connection) {
  return {
    counters: conn.model('Counter', new mongoose.Schema<Counter>({ _id: String, used: Number }, { versionKey: false })),
    seats: conn.model('Seat', new mongoose.Schema<Seat>({ key: String }, { versionKey: false })),
  };
}

describe('embedded MongoDB: concurrent writes', function () {
  this.timeout(60_000);

  let server: EmbeddedMongo | undefined;
  let dataDir: string | undefined;
  let conn: Connection;
  let counters: ReturnType<typeof defineModels>['counters'];
  let seats: ReturnType<typeof defineModels>['seats'];

  before(async function () {
    let url = process.env.MONGO_URL;
    if (!url) {
      dataDir = await mkdtemp(path.join(tmpdir(), 'emdb-test-'));
      server = await startEmbeddedMongo({ dir: dataDir });
      url = server.url;
    }

    conn = await mongoose
      .createConnection(url, {
        dbName: `atomicity_${process.pid}_${Date.now()}`,
        autoIndex: false,
        autoCreate: false,
        serverSelectionTimeoutMS: 10_000,
      })
      .asPromise();

    ({ counters, seats } = defineModels(conn));
    await seats.collection.createIndex({ key: 1 }, { unique: true });
  });

  after(async function () {
    if (conn) {
      await conn.dropDatabase();
      await conn.close();
    }
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lets exactly `limit` of 50 concurrent conditional increments win', async function () {
    const limit = 5;
    await counters.create({ _id: 'conditional', used: 0 });

    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        counters
          .findOneAndUpdate(
            { _id: 'conditional', used: { $lt: limit } },
            { $inc: { used: 1 } },
            { returnDocument: 'after' },
          )
          .lean(),
      ),
    );

    const winners = results.filter(doc => doc !== null);
    expect(winners).to.have.lengthOf(limit);
    expect(winners.map(doc => doc.used).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
    const final = await counters.findById('conditional').lean();
    expect(final?.used).to.equal(limit);
  });

  it('applies all of 50 concurrent $inc updates', async function () {
    await counters.create({ _id: 'plain', used: 0 });

    await Promise.all(Array.from({ length: 50 }, () => counters.updateOne({ _id: 'plain' }, { $inc: { used: 1 } })));

    const final = await counters.findById('plain').lean();
    expect(final?.used).to.equal(50);
  });

  it('accepts exactly one of 20 concurrent inserts of the same unique key', async function () {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => seats.collection.insertOne({ key: 'same-seat' })),
    );

    const accepted = outcomes.filter(o => o.status === 'fulfilled');
    const codes = outcomes.flatMap(o => (o.status === 'rejected' ? [(o.reason as { code?: unknown }).code] : []));
    expect(accepted).to.have.lengthOf(1);
    expect(codes).to.have.lengthOf(19);
    expect(
      codes.every(code => code === 11000),
      `error codes: ${codes.join(', ')}`,
    ).to.equal(true);
    expect(await seats.countDocuments({ key: 'same-seat' })).to.equal(1);
  });
});
