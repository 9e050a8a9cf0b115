// The resource pool through the gateway against a real system (one process, every service): creation,
// listing, deletion, all-or-nothing allocation (also under concurrency), release, the license's
// resources, availability and statistics, recovery from an allocation that died half-way, bad input and
// the role matrix.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import mongoose, { type Connection } from 'mongoose';
import type { Context, ServiceBroker } from 'moleculer';
import { ResourceModel } from '../../models/resource.model.ts';
import { http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { eventually, expectError } from '../helpers/expect-error.ts';
import { adminToken as loginAdmin, viewerToken as makeViewer } from '../helpers/admin.ts';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface StoredResource {
  _id: number;
  type: string;
  identifier: string;
  status: string;
  license_id: number | null;
  allocated_at: Date | null;
  request_id: string | null;
  pending: boolean;
  claimed_at: Date | null;
}

interface Fact {
  name: string;
  params: { license_id?: number; resource_ids?: number[]; resource_id?: number };
}

function tag(): string {
  return randomBytes(4).toString('hex').toUpperCase();
}

describe('resource pool admin API', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let db: Connection;
  let adminToken: string;
  let viewerToken: string;
  const facts: Fact[] = [];

  function api(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | null } = {},
  ): Promise<HttpAnswer> {
    const token = options.token === undefined ? adminToken : options.token;
    return http(method, `${system.url}${path}`, {
      ...(options.body !== undefined ? { body: options.body } : {}),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  }

  const resources = () => db.collection<StoredResource>('resources');

  async function createResource(type: string, identifier = `${type.toUpperCase()}-${tag()}`): Promise<number> {
    const res = await api('POST', '/api/resources', { body: { type, identifier } });
    expect(res.status, res.text).to.equal(201);
    return res.body.id as number;
  }

  async function createLicense(): Promise<number> {
    const license = await broker.call<{ id: number }, Record<string, unknown>>('license.create', {
      type: 'subscription',
      max_activations: 5,
      max_users: 5,
      valid_until: '2099-12-31',
    });
    return license.id;
  }

  function allocate(licenseId: number, resourceIds: unknown, token?: string | null): Promise<HttpAnswer> {
    return api('POST', '/api/resources/allocate', {
      body: { license_id: licenseId, resource_ids: resourceIds },
      token,
    });
  }

  async function stored(ids: number[]): Promise<StoredResource[]> {
    return resources()
      .find({ _id: { $in: ids } })
      .sort({ _id: 1 })
      .toArray();
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
    broker.createService({
      name: 'resourceFactSpy',
      events: {
        'resource.*'(ctx: Context<Fact['params']>) {
          facts.push({ name: ctx.eventName ?? '', params: ctx.params });
        },
      },
    });
    await broker.waitForServices(['resourceFactSpy'], 5000);
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    adminToken = await loginAdmin(system.url);
    viewerToken = await makeViewer(system.url, adminToken, 'resource.viewer');
  });

  after(async function () {
    await db?.close();
    await system?.stop();
  });

  describe('POST /api/resources, GET /api/resource/:id, GET /api/resources', function () {
    it('creates a free resource: 201, Location, stored and announced', async function () {
      const identifier = `SRV-${tag()}`;
      const res = await api('POST', '/api/resources', { body: { type: 'server', identifier, notes: 'rack 4' } });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.have.all.keys(
        'id',
        'type',
        'identifier',
        'status',
        'license_id',
        'allocated_at',
        'notes',
        'created_at',
        'updated_at',
      );
      expect(res.body).to.include({
        type: 'server',
        identifier,
        status: 'available',
        license_id: null,
        allocated_at: null,
        notes: 'rack 4',
      });
      expect(res.body.created_at).to.match(ISO_TIMESTAMP);
      expect(res.headers.get('location')).to.equal(`/api/resource/${res.body.id}`);
      const [doc] = await stored([res.body.id]);
      expect(doc).to.include({ status: 'available', license_id: null, pending: false });
      await eventually(
        () => facts.find(f => f.name === 'resource.created' && f.params.resource_id === res.body.id),
        'resource.created',
      );
      const read = await api('GET', `/api/resource/${res.body.id}`);
      expect(read.status).to.equal(200);
      expect(read.body.resource).to.deep.equal(res.body);
    });

    it('refuses a duplicate identifier in any letter case with 409, storing nothing', async function () {
      const identifier = `Ws-${tag()}`;
      await createResource('workstation', identifier);
      const before = await resources().countDocuments();
      const error = expectError(
        await api('POST', '/api/resources', { body: { type: 'server', identifier: identifier.toLowerCase() } }),
        409,
        'RESOURCE_IDENTIFIER_EXISTS',
      );
      expect(error.details).to.include({ field: 'identifier', reason: 'duplicate' });
      expect(await resources().countDocuments()).to.equal(before);
    });

    it('refuses bad types, identifiers and unknown fields with 400', async function () {
      const before = await resources().countDocuments();
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ identifier: 'X-1' }, 'type'],
        [{ type: 'server' }, 'identifier'],
        [{ type: 'Server', identifier: 'X-2' }, 'type'],
        [{ type: 'ser ver', identifier: 'X-3' }, 'type'],
        [{ type: 'x'.repeat(33), identifier: 'X-4' }, 'type'],
        [{ type: 'server', identifier: ' X-5' }, 'identifier'],
        [{ type: 'server', identifier: '' }, 'identifier'],
        [{ type: 'server', identifier: { $ne: null } }, 'identifier'],
        [{ type: 'server', identifier: 'X-6', status: 'allocated' }, 'status'],
        [{ type: 'server', identifier: 'X-7', license_id: 1 }, 'license_id'],
      ];
      for (const [body, field] of cases) {
        const error = expectError(await api('POST', '/api/resources', { body }), 400, 'VALIDATION_ERROR');
        expect(error.details.field, JSON.stringify(body)).to.equal(field);
      }
      expect(await resources().countDocuments()).to.equal(before);
    });

    it('lists with type and status filters and bounded pages', async function () {
      const type = `lst${tag().toLowerCase()}`;
      const ids: number[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await createResource(type));
      const licenseId = await createLicense();
      expect((await allocate(licenseId, [ids[1]])).status).to.equal(200);

      const all = await api('GET', `/api/resources?type=${type}`);
      expect(all.status, all.text).to.equal(200);
      expect(all.body.resources.map((r: { id: number }) => r.id)).to.deep.equal(ids);
      expect(all.body.pagination).to.deep.equal({ page: 1, limit: 20, total: 5, pages: 1, more: false });
      const free = await api('GET', `/api/resources?type=${type}&status=available`);
      expect(free.body.resources.map((r: { id: number }) => r.id)).to.deep.equal([ids[0], ids[2], ids[3], ids[4]]);
      const taken = await api('GET', `/api/resources?type=${type}&status=allocated`);
      expect(taken.body.resources).to.have.lengthOf(1);
      expect(taken.body.resources[0]).to.include({ id: ids[1], status: 'allocated', license_id: licenseId });
      const page2 = await api('GET', `/api/resources?type=${type}&limit=2&page=2`);
      expect(page2.body.resources.map((r: { id: number }) => r.id)).to.deep.equal([ids[2], ids[3]]);
      expect(page2.body.pagination).to.deep.equal({ page: 2, limit: 2, total: 5, pages: 3, more: true });

      for (const query of [
        'page=0',
        'page=-3',
        'limit=0',
        'limit=101',
        'limit=1000000',
        'status=broken',
        'type=%24ne',
        'type[$ne]=x',
      ]) {
        expectError(await api('GET', `/api/resources?${query}`), 400, 'VALIDATION_ERROR');
      }
    });
  });

  describe('POST /api/resources/allocate', function () {
    it('allocates every listed resource to the license and lists them for it in the reference shape', async function () {
      const licenseId = await createLicense();
      const ids = [await createResource('server', `SRV-${tag()}`), await createResource('workstation')];
      const res = await allocate(licenseId, ids);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ success: true, allocated: 2, message: '2 resources allocated successfully' });
      for (const doc of await stored(ids)) {
        expect(doc).to.include({ status: 'allocated', license_id: licenseId, pending: false });
        expect(doc.allocated_at).to.be.instanceOf(Date);
      }
      const fact = await eventually(
        () => facts.find(f => f.name === 'resource.allocated' && f.params.license_id === licenseId),
        'resource.allocated',
      );
      expect(fact.params.resource_ids).to.deep.equal(ids);

      const listed = await api('GET', `/api/license/${licenseId}/resources`);
      expect(listed.status, listed.text).to.equal(200);
      expect(listed.body).to.have.all.keys('resources');
      expect(listed.body.resources).to.have.lengthOf(2);
      const docs = await stored(ids);
      listed.body.resources.forEach((r: Record<string, unknown>, i: number) => {
        expect(r).to.deep.equal({
          id: docs[i]!._id,
          type: docs[i]!.type,
          identifier: docs[i]!.identifier,
          status: 'allocated',
          allocated_at: docs[i]!.allocated_at!.toISOString(),
        });
      });
    });

    it('allocates none when one listed resource is already allocated: 409 RESOURCE_UNAVAILABLE with its id', async function () {
      const first = await createLicense();
      const second = await createLicense();
      const ids = [await createResource('server'), await createResource('server'), await createResource('server')];
      expect((await allocate(first, [ids[1]])).status).to.equal(200);
      const error = expectError(await allocate(second, ids), 409, 'RESOURCE_UNAVAILABLE');
      expect(error.details).to.deep.include({ resource_ids: [ids[1]] });
      const docs = await stored(ids);
      expect(docs.map(d => d.license_id)).to.deep.equal([null, first, null]);
      expect(docs.map(d => d.status)).to.deep.equal(['available', 'allocated', 'available']);
      expect((await api('GET', `/api/license/${second}/resources`)).body).to.deep.equal({ resources: [] });
    });

    it('allocates none when a listed resource or the license does not exist: 404 with the ids', async function () {
      const licenseId = await createLicense();
      const ids = [await createResource('server'), await createResource('server')];
      const error = expectError(
        await allocate(licenseId, [ids[0], 987_654, ids[1], 987_655]),
        404,
        'RESOURCE_NOT_FOUND',
      );
      expect(error.details).to.deep.include({ resource_ids: [987_654, 987_655] });
      expectError(await allocate(987_654, ids), 404, 'LICENSE_NOT_FOUND');
      expect((await stored(ids)).map(d => d.license_id)).to.deep.equal([null, null]);
    });

    it('answers bad lists with 400: empty, duplicates, non-integers, operators, 10,000 ids', async function () {
      const licenseId = await createLicense();
      const id = await createResource('server');
      const cases: Array<[unknown, string]> = [
        [[], 'too_few_items'],
        [[id, id], 'duplicate_items'],
        [[1.5], 'type_invalid'],
        [['1'], 'type_invalid'],
        [[0], 'out_of_range'],
        [[-4], 'out_of_range'],
        [{ $ne: null }, 'type_invalid'],
        [[{ $gt: 0 }], 'type_invalid'],
        [Array.from({ length: 10_000 }, (_, i) => i + 1), 'too_many_items'],
      ];
      for (const [list, reason] of cases) {
        const error = expectError(await allocate(licenseId, list), 400, 'VALIDATION_ERROR');
        expect(error.details.reason, JSON.stringify(list).slice(0, 40)).to.equal(reason);
      }
      expectError(
        await api('POST', '/api/resources/allocate', { body: { license_id: licenseId } }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(
        await api('POST', '/api/resources/allocate', { body: { license_id: '1', resource_ids: [id] } }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(
        await api('POST', '/api/resources/allocate', {
          body: { license_id: licenseId, resource_ids: [id], force: true },
        }),
        400,
        'VALIDATION_ERROR',
      );
      expect((await stored([id]))[0]!.license_id).to.equal(null);
    });

    it('lets exactly one of 20 concurrent allocations of one resource win', async function () {
      const id = await createResource('server');
      const licenses: number[] = [];
      for (let i = 0; i < 4; i += 1) licenses.push(await createLicense());
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => allocate(licenses[i % 4]!, [id])));
      const winners = answers.filter(a => a.status === 200);
      expect(winners, answers.map(a => a.status).join(',')).to.have.lengthOf(1);
      for (const loser of answers.filter(a => a.status !== 200)) expectError(loser, 409, 'RESOURCE_UNAVAILABLE');
      const winner = licenses[answers.findIndex(a => a.status === 200) % 4];
      const [doc] = await stored([id]);
      expect(doc).to.include({ license_id: winner, status: 'allocated', pending: false });
    });

    it('of 10 concurrent allocations of overlapping lists, one gets all its resources and the others none', async function () {
      const ids: number[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await createResource('server'));
      const licenses: number[] = [];
      for (let i = 0; i < 10; i += 1) licenses.push(await createLicense());
      // Each asks for the five resources in its own order (a rotation), as clients would.
      const answers = await Promise.all(
        licenses.map((licenseId, i) => allocate(licenseId, [...ids.slice(i % 5), ...ids.slice(0, i % 5)])),
      );
      const winners = answers.map((a, i) => (a.status === 200 ? licenses[i] : null)).filter(id => id !== null);
      expect(winners, answers.map(a => a.status).join(',')).to.have.lengthOf(1);
      for (const loser of answers.filter(a => a.status !== 200)) expect(loser.status).to.equal(409);
      const docs = await stored(ids);
      expect(docs.map(d => d.license_id)).to.deep.equal(ids.map(() => winners[0]));
      expect(docs.every(d => !d.pending)).to.equal(true);
    });
  });

  describe('an allocation interrupted half-way', function () {
    // A concurrent writer is slipped in at an exact moment: just before the service claims resource
    // `target`, the given action runs against the real database (the same module instance of the
    // model is used by the service, which runs in this process).
    async function withWriteBefore<T>(
      target: number,
      write: () => Promise<unknown>,
      run: () => Promise<T>,
    ): Promise<T> {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as it was, and called with its model as `this`
      const original = ResourceModel.updateOne;
      let done = false;
      (ResourceModel as any).updateOne = function (this: unknown, filter: any, ...rest: any[]) {
        if (!done && filter?._id === target && filter?.license_id === null) {
          done = true;
          return write().then(() => (original as any).call(this, filter, ...rest));
        }
        return (original as any).call(this, filter, ...rest);
      };
      try {
        return await run();
      } finally {
        (ResourceModel as any).updateOne = original;
      }
    }

    it('undoes its own claims when a resource is taken after validation (compensation), allocating none', async function () {
      const licenseId = await createLicense();
      const rival = await createLicense();
      const ids = [await createResource('server'), await createResource('server'), await createResource('server')];
      const rivalClaim = () =>
        resources().updateOne(
          { _id: ids[2]!, license_id: null },
          {
            $set: {
              status: 'allocated',
              license_id: rival,
              request_id: 'rival',
              pending: false,
              allocated_at: new Date(),
              claimed_at: new Date(),
            },
          },
        );
      const res = await withWriteBefore(ids[2]!, rivalClaim, () => allocate(licenseId, ids));
      const error = expectError(res, 409, 'RESOURCE_UNAVAILABLE');
      expect(error.details).to.deep.include({ resource_ids: [ids[2]] });
      const docs = await stored(ids);
      expect(docs.map(d => [d.license_id, d.status, d.pending, d.request_id])).to.deep.equal([
        [null, 'available', false, null],
        [null, 'available', false, null],
        [rival, 'allocated', false, 'rival'],
      ]);
      expect(facts.find(f => f.name === 'resource.allocated' && f.params.license_id === licenseId)).to.equal(undefined);
    });

    it('allocates none when the license is deleted while its resources are being claimed', async function () {
      const licenseId = await createLicense();
      const ids = [await createResource('server'), await createResource('server')];
      const deleteLicense = () => db.collection('licenses').deleteOne({ _id: licenseId as any });
      const res = await withWriteBefore(ids[1]!, deleteLicense, () => allocate(licenseId, ids));
      expectError(res, 404, 'LICENSE_NOT_FOUND');
      expect((await stored(ids)).map(d => [d.license_id, d.pending])).to.deep.equal([
        [null, false],
        [null, false],
      ]);
    });
  });

  describe('a request that died half-way', function () {
    it('leaves claims that are never listed for the license and are released once abandoned', async function () {
      const licenseId = await createLicense();
      const [fresh, stale] = [await createResource('crashtest'), await createResource('crashtest')];
      const claim = (claimedAt: Date) => ({
        $set: {
          status: 'allocated',
          license_id: licenseId,
          allocated_at: claimedAt,
          request_id: `dead-${tag()}`,
          pending: true,
          claimed_at: claimedAt,
        },
      });
      await resources().updateOne({ _id: fresh }, claim(new Date()));
      await resources().updateOne({ _id: stale }, claim(new Date(Date.now() - 10 * 60_000)));

      expect((await api('GET', `/api/license/${licenseId}/resources`)).body).to.deep.equal({ resources: [] });
      const availability = await api('GET', '/api/resources/check-availability?type=crashtest&count=2');
      expect(availability.body).to.deep.include({ available: false, count: 1 });
      expect(availability.body.resources.map((r: { id: number }) => r.id)).to.deep.equal([stale]);
      const docs = await stored([fresh, stale]);
      expect(docs[0]).to.include({ license_id: licenseId, pending: true });
      expect(docs[1]).to.include({ license_id: null, status: 'available', pending: false, request_id: null });
      expectError(await allocate(licenseId, [fresh, stale]), 409, 'RESOURCE_UNAVAILABLE');
      expect((await stored([stale]))[0]!.license_id).to.equal(null);
    });
  });

  describe('POST /api/resources/release and license deletion', function () {
    it('releases allocated resources, skips free ones, and announces the release', async function () {
      const licenseId = await createLicense();
      const ids = [await createResource('server'), await createResource('server')];
      const free = await createResource('server');
      expect((await allocate(licenseId, ids)).status).to.equal(200);
      const res = await api('POST', '/api/resources/release', { body: { resource_ids: [...ids, free] } });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({
        success: true,
        released: 2,
        not_allocated: [free],
        message: '2 resources released successfully',
      });
      expect((await stored(ids)).map(d => [d.status, d.license_id, d.allocated_at])).to.deep.equal([
        ['available', null, null],
        ['available', null, null],
      ]);
      const fact = await eventually(
        () => facts.find(f => f.name === 'resource.released' && f.params.license_id === licenseId),
        'resource.released',
      );
      expect(fact.params.resource_ids).to.deep.equal(ids);
      const again = await api('POST', '/api/resources/release', { body: { resource_ids: ids } });
      expect(again.body).to.include({ released: 0 });
      expect((await allocate(await createLicense(), ids)).status, 'released resources can be allocated again').to.equal(
        200,
      );
    });

    it('with license_id, refuses resources of another license (409) and unknown ids (404), releasing none', async function () {
      const mine = await createLicense();
      const theirs = await createLicense();
      const a = await createResource('server');
      const b = await createResource('server');
      expect((await allocate(mine, [a])).status).to.equal(200);
      expect((await allocate(theirs, [b])).status).to.equal(200);
      const error = expectError(
        await api('POST', '/api/resources/release', { body: { license_id: mine, resource_ids: [a, b] } }),
        409,
        'RESOURCE_NOT_ALLOCATED_TO_LICENSE',
      );
      expect(error.details).to.deep.include({ resource_ids: [b] });
      const missing = expectError(
        await api('POST', '/api/resources/release', { body: { resource_ids: [a, 987_654] } }),
        404,
        'RESOURCE_NOT_FOUND',
      );
      expect(missing.details).to.deep.include({ resource_ids: [987_654] });
      expect((await stored([a, b])).map(d => d.license_id)).to.deep.equal([mine, theirs]);
      const ok = await api('POST', '/api/resources/release', { body: { license_id: mine, resource_ids: [a] } });
      expect(ok.body).to.include({ released: 1 });
      expectError(await api('POST', '/api/resources/release', { body: { resource_ids: [] } }), 400, 'VALIDATION_ERROR');
    });

    it('license bulk delete releases its resources first; releaseForLicenses is idempotent', async function () {
      const licenseId = await createLicense();
      const ids = [await createResource('server'), await createResource('server')];
      expect((await allocate(licenseId, ids)).status).to.equal(200);
      const res = await api('POST', '/api/licenses/bulk-delete', { body: { license_ids: [licenseId] } });
      expect(res.status, res.text).to.equal(200);
      expect((await stored(ids)).map(d => d.license_id)).to.deep.equal([null, null]);
      expect(await broker.call('resource.releaseForLicenses', { license_ids: [licenseId] })).to.deep.equal({
        released: 0,
      });
      expectError(await api('GET', `/api/license/${licenseId}/resources`), 404, 'LICENSE_NOT_FOUND');
      expectError(await api('GET', '/api/license/abc/resources'), 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('DELETE /api/resource/:resource_id', function () {
    it('deletes a free resource, refuses an allocated one with 409, and answers 404 for unknown or non-numeric ids', async function () {
      const free = await createResource('server');
      const res = await api('DELETE', `/api/resource/${free}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ success: true, message: 'Resource deleted successfully' });
      expect(await resources().countDocuments({ _id: free })).to.equal(0);

      const taken = await createResource('server');
      expect((await allocate(await createLicense(), [taken])).status).to.equal(200);
      expectError(await api('DELETE', `/api/resource/${taken}`), 409, 'RESOURCE_ALLOCATED');
      expect(await resources().countDocuments({ _id: taken })).to.equal(1);
      expectError(await api('DELETE', `/api/resource/${free}`), 404, 'RESOURCE_NOT_FOUND');
      expectError(await api('DELETE', '/api/resource/1e3'), 404, 'ROUTE_NOT_FOUND');
      expectError(await api('GET', '/api/resource/987654'), 404, 'RESOURCE_NOT_FOUND');
    });
  });

  describe('availability and statistics', function () {
    it('check-availability answers {available, count, resources} for a type', async function () {
      const type = `gpu${tag().toLowerCase()}`;
      const ids = [await createResource(type, `G-${tag()}`), await createResource(type), await createResource(type)];
      expect((await allocate(await createLicense(), [ids[0]])).status).to.equal(200);
      const res = await api('GET', `/api/resources/check-availability?type=${type}&count=1`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('available', 'count', 'resources');
      const docs = await stored(ids);
      expect(res.body).to.deep.equal({
        available: true,
        count: 2,
        resources: [{ id: ids[1], type, identifier: docs[1]!.identifier }],
      });
      const two = await api('GET', `/api/resources/check-availability?type=${type}&count=2`);
      expect(two.body.available).to.equal(true);
      expect(two.body.resources.map((r: { id: number }) => r.id)).to.deep.equal([ids[1], ids[2]]);
      const three = await api('GET', `/api/resources/check-availability?type=${type}&count=3`);
      expect(three.body).to.deep.include({ available: false, count: 2 });
      expect(three.body.resources).to.have.lengthOf(2);
      const none = await api('GET', '/api/resources/check-availability?type=nosuchtype');
      expect(none.body).to.deep.equal({ available: false, count: 0, resources: [] });
      for (const query of [
        'count=2',
        `type=${type}&count=0`,
        `type=${type}&count=-1`,
        `type=${type}&count=501`,
        'type=GPU',
        `type=${type}&count=x`,
      ]) {
        expectError(await api('GET', `/api/resources/check-availability?${query}`), 400, 'VALIDATION_ERROR');
      }
    });

    it('stats counts every resource once, overall and by type, as the store holds them', async function () {
      const before = (await api('GET', '/api/resources/stats')).body;
      const type = `stat${tag().toLowerCase()}`;
      const ids = [await createResource(type), await createResource(type)];
      expect((await allocate(await createLicense(), [ids[0]])).status).to.equal(200);
      const res = await api('GET', '/api/resources/stats');
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('total', 'allocated', 'available', 'by_type');
      expect(res.body.by_type[type]).to.deep.equal({ total: 2, allocated: 1, available: 1 });
      expect(res.body.total).to.equal(before.total + 2);
      expect(res.body.allocated).to.equal(before.allocated + 1);
      expect(res.body.available).to.equal(before.available + 1);

      const expected: Record<string, { total: number; allocated: number; available: number }> = {};
      for (const doc of await resources().find({}).toArray()) {
        const entry = (expected[doc.type] ??= { total: 0, allocated: 0, available: 0 });
        entry.total += 1;
        entry[doc.license_id === null ? 'available' : 'allocated'] += 1;
      }
      expect(res.body.by_type).to.deep.equal(expected);
      expect(res.body.total).to.equal(await resources().countDocuments());
      expect(res.body.allocated + res.body.available).to.equal(res.body.total);
      expectError(await api('GET', '/api/resources/stats?extra=1'), 400, 'VALIDATION_ERROR');
    });
  });

  describe('roles', function () {
    it('lets a viewer read and refuses its writes with 403; without a token every route is 401', async function () {
      const licenseId = await createLicense();
      const id = await createResource('server');
      const reads = [
        '/api/resources',
        `/api/resource/${id}`,
        `/api/license/${licenseId}/resources`,
        '/api/resources/check-availability?type=server',
        '/api/resources/stats',
      ];
      const writes: Array<[string, string, unknown]> = [
        ['POST', '/api/resources', { type: 'server', identifier: `V-${tag()}` }],
        ['DELETE', `/api/resource/${id}`, undefined],
        ['POST', '/api/resources/allocate', { license_id: licenseId, resource_ids: [id] }],
        ['POST', '/api/resources/release', { resource_ids: [id] }],
      ];
      for (const path of reads) {
        expect((await api('GET', path, { token: viewerToken })).status, path).to.equal(200);
        expectError(await api('GET', path, { token: null }), 401, 'UNAUTHORIZED');
      }
      for (const [method, path, body] of writes) {
        expectError(await api(method, path, { body, token: viewerToken }), 403, 'FORBIDDEN');
        expectError(await api(method, path, { body, token: null }), 401, 'UNAUTHORIZED');
      }
      const [doc] = await stored([id]);
      expect(doc).to.include({ license_id: null, status: 'available' });
    });
  });
});
