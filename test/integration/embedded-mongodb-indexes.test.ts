// The embedded server answers equality and `$in` on `_id` and on an index's first field from the index
// (scripts/lib/ferretdb-patch.ts), and still answers every other query by reading the table.
// SQLite's own query plan, which FerretDB's explain returns, says which one it did.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { hasEmbeddedMongo, startEmbeddedMongo, type EmbeddedMongo } from '../../scripts/lib/embedded-mongodb.ts';

interface Row {
  _id: number | string;
  key: string;
  license_id: number;
  hash: string;
  tags?: string[] | string;
  until?: Date | null;
}

const day = (d: string) => new Date(`${d}T00:00:00Z`);

describe('embedded MongoDB: lookups through indexes', function () {
  this.timeout(60_000);

  let server: EmbeddedMongo;
  let dataDir: string;
  let client: MongoClient;
  let db: Db;
  let rows: Collection<Row>;

  before(async function () {
    // The suite runs its own embedded server (the plans below are SQLite's), whatever database the other
    // suites use: it needs only the embedded server's build, which `npm ci` makes.
    if (!hasEmbeddedMongo()) this.skip();
    dataDir = await mkdtemp(path.join(tmpdir(), 'emdb-index-'));
    server = await startEmbeddedMongo({ dir: dataDir });
    client = await MongoClient.connect(server.url);
    db = client.db('indexes');
    rows = db.collection<Row>('rows');
    await rows.createIndex({ key: 1 }, { unique: true });
    await rows.createIndex({ license_id: 1, hash: 1 }, { unique: true });
    await rows.createIndex({ tags: 1 });
    await rows.createIndex({ hash: 1, key: 1 });
    await rows.createIndex({ until: 1, hash: 1 });
    await rows.insertMany([
      { _id: 1, key: 'K-1', license_id: 7, hash: 'aa', until: day('2026-12-01') },
      { _id: 2, key: 'K<2>', license_id: 7, hash: 'bb', until: day('1969-07-20') },
      { _id: 'three', key: 'K-3', license_id: 8, hash: 'aa', tags: ['blue', 'red'] },
      { _id: 4, key: 'K-4', license_id: 9, hash: 'dd', tags: 'blue', until: null },
    ]);
  });

  after(async function () {
    await client?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function plan(filter: Document): Promise<string> {
    const explained = await db.command({ explain: { find: 'rows', filter } });
    return JSON.stringify(explained.queryPlanner);
  }

  it('looks an integer _id up in the _id index', async function () {
    expect(await plan({ _id: 1 })).to.match(/USING INDEX \S+__id_ /);
    expect(await rows.findOne({ _id: 1 })).to.include({ key: 'K-1' });
  });

  it('looks a string _id up in the _id index', async function () {
    expect(await plan({ _id: 'three' })).to.match(/USING INDEX \S+__id_ /);
    expect(await rows.findOne({ _id: 'three' })).to.include({ key: 'K-3' });
  });

  it('uses the _id index when the filter holds more than the _id, and applies the rest', async function () {
    expect(await plan({ _id: 1, key: 'K-3' })).to.match(/USING INDEX \S+__id_ /);
    expect(await rows.findOne({ _id: 1, key: 'K-3' })).to.equal(null);
    expect(await rows.findOne({ _id: 1, key: 'K-1' })).to.include({ license_id: 7 });
  });

  it('looks a unique field up in its index', async function () {
    expect(await plan({ key: 'K-1' })).to.match(/USING INDEX \S+_key_1 /);
    expect(await rows.findOne({ key: 'K-1' })).to.include({ _id: 1 });
  });

  it('uses a compound unique index for its first field, and finds every match', async function () {
    expect(await plan({ license_id: 7 })).to.match(/USING INDEX \S+_license_id_1_hash_1 /);
    const found = await rows.find({ license_id: 7 }).sort({ _id: 1 }).toArray();
    expect(found.map(row => row._id)).to.deep.equal([1, 2]);
  });

  it('looks every value of an $in on _id up in the _id index', async function () {
    expect(await plan({ _id: { $in: [1, 'three', 99] } })).to.match(/USING INDEX \S+__id_ /);
    const found = await rows.find({ _id: { $in: [1, 'three', 99] } }).toArray();
    expect(found.map(row => row.key).sort()).to.deep.equal(['K-1', 'K-3']);
  });

  it('reads the table for an $in holding a value JSON escapes, and still finds it', async function () {
    expect(await plan({ key: { $in: ['K-1', 'K<2>'] } })).to.match(/SCAN /);
    expect(await rows.countDocuments({ key: { $in: ['K-1', 'K<2>'] } })).to.equal(2);
  });

  it('looks a plain index field up in its index, with the arrays stored there', async function () {
    expect(await plan({ tags: 'blue' })).to.match(/MULTI-INDEX OR/);
    expect(await plan({ tags: 'blue' })).to.not.match(/SCAN /);
    const found = await rows.find({ tags: 'blue' }).sort({ key: 1 }).toArray();
    expect(found.map(row => row.key)).to.deep.equal(['K-3', 'K-4']);
    expect(await rows.countDocuments({ tags: { $in: ['red', 'green'] } })).to.equal(1);
  });

  it('prefers a unique index to a plain one', async function () {
    expect(await plan({ hash: 'aa', key: 'K-1' })).to.match(/USING INDEX \S+_key_1 /);
    expect(await rows.findOne({ hash: 'aa', key: 'K-1' })).to.include({ _id: 1 });
  });

  it('looks dates up in an index, before 1970 too, and finds only dates', async function () {
    const days = [day('2026-12-01'), day('1969-07-20'), day('2026-11-30')];
    expect(await plan({ until: { $in: days } })).to.not.match(/SCAN /);
    expect(await plan({ until: day('2026-12-01') })).to.match(/USING INDEX \S+_until_1_hash_1 /);
    const found = await rows
      .find({ until: { $in: days } })
      .sort({ _id: 1 })
      .toArray();
    expect(found.map(row => row._id)).to.deep.equal([1, 2]);
    // The same milliseconds as a number are not a date: FerretDB's own filter drops them.
    expect(await rows.countDocuments({ until: day('2026-12-01').getTime() as never })).to.equal(0);
  });

  it('reads the table for a field no index leads', async function () {
    expect(await plan({ license_id: { $gt: 7 } })).to.match(/SCAN /);
    expect(await plan({ key: { $regex: '^K' } })).to.match(/SCAN /);
    expect(await rows.countDocuments({ license_id: { $gt: 7 } })).to.equal(2);
  });

  it('reads the table for a string JSON escapes, and still finds it', async function () {
    expect(await plan({ key: 'K<2>' })).to.match(/SCAN /);
    expect(await rows.findOne({ key: 'K<2>' })).to.include({ _id: 2 });
  });

  it('updates and deletes by _id through the index', async function () {
    await rows.updateOne({ _id: 2 }, { $set: { hash: 'cc' } });
    expect(await rows.findOne({ _id: 2 })).to.include({ hash: 'cc' });
    await rows.deleteOne({ _id: 'three' });
    expect(await rows.countDocuments({})).to.equal(3);
  });
});
