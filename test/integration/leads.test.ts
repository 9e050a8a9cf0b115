// The lead service's actions and GET /leads/api/stats: figures against the stored data, the list's
// search, filters, sort and pages, conversion into a customer through the customer service, deletion
// with contacts and activities, and the facts announced.
import { expect } from 'chai';
import mongoose from 'mongoose';
import type { Context, ServiceBroker } from 'moleculer';
import { http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';
import { eventually, expectError } from '../helpers/expect-error.ts';

const DAY = 86_400_000;

describe('leads (lead service)', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let db: mongoose.Connection;
  let token: string;
  let viewer: string;
  const facts: Array<{ name: string; params: Record<string, unknown> }> = [];

  const call = <T = any>(action: string, params: object = {}) => broker.call<T, object>(action, params);
  const stats = (bearer = token) =>
    http('GET', `${system.url}/leads/api/stats`, { headers: { authorization: `Bearer ${bearer}` } });

  before(async function () {
    await resetStores();
    system = await startSystem();
    broker = system.brokers[0]!;
    broker.createService({
      name: 'leadFactSpy',
      events: {
        'lead.*'(ctx: Context<Record<string, unknown>>) {
          facts.push({ name: ctx.eventName ?? '', params: ctx.params });
        },
      },
    });
    await broker.waitForServices(['leadFactSpy'], 5000);
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    token = await adminToken(system.url);
    viewer = await viewerToken(system.url, token, 'leads.viewer');
  });

  after(async function () {
    await db?.close();
    await system?.stop();
  });

  describe('GET /leads/api/stats', function () {
    it('answers zeros with every type present when there are no leads', async function () {
      const res = await stats();
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({
        total_institutions: 0,
        total_contacts: 0,
        recent_activities: 0,
        conversion_rate: 0,
        by_type: { university: 0, company: 0, government: 0, other: 0 },
      });
    });

    it('matches the stored data: counts, activities of the last 30 days, conversion rate with one decimal', async function () {
      const a = await call('lead.create', { name: 'Stats University', type: 'university', country: 'DE' });
      const b = await call('lead.create', { name: 'Stats Company', type: 'company' });
      await call('lead.create', { name: 'Stats Ministry', type: 'government' });
      await call('lead.addContact', { lead_id: a.id, name: 'Ann', email: 'ann@stats-university.example' });
      await call('lead.addContact', { lead_id: a.id, name: 'Bob' });
      await call('lead.addContact', { lead_id: b.id, name: 'Cid' });
      const now = Date.now();
      for (const at of [now - 1000, now - 29 * DAY, now - 31 * DAY, now + 2 * DAY]) {
        await call('lead.addActivity', {
          lead_id: a.id,
          type: 'call',
          text: 'x',
          occurred_at: new Date(at).toISOString(),
        });
      }
      await call('lead.convert', { lead_id: a.id });

      const res = await stats();
      expect(res.status, res.text).to.equal(200);
      const stored = {
        institutions: await db.collection('lead_institutions').countDocuments(),
        contacts: await db.collection('lead_contacts').countDocuments(),
        converted: await db.collection('lead_institutions').countDocuments({ customer_id: { $ne: null } }),
      };
      expect(stored).to.deep.equal({ institutions: 3, contacts: 3, converted: 1 });
      expect(res.body).to.deep.equal({
        total_institutions: 3,
        total_contacts: 3,
        recent_activities: 2,
        conversion_rate: 33.3,
        by_type: { university: 1, company: 1, government: 1, other: 0 },
      });
    });

    it('may be read with a viewer token; needs a token', async function () {
      expect((await stats(viewer)).status).to.equal(200);
      expectError(await http('GET', `${system.url}/leads/api/stats`), 401, 'UNAUTHORIZED');
    });
  });

  describe('lead.create / lead.update', function () {
    it('stores the lead with normalised copies and announces lead.created', async function () {
      const lead = await call('lead.create', { name: '  Trimmed Institute ', type: 'other', country: 'France ' });
      expect(lead).to.include({ name: 'Trimmed Institute', country: 'France', status: 'new', customer_id: null });
      const doc = await db.collection('lead_institutions').findOne({ _id: lead.id } as never);
      expect(doc).to.include({ name_lower: 'trimmed institute', country_lower: 'france' });
      await eventually(
        () => facts.find(f => f.name === 'lead.created' && f.params.lead_id === lead.id),
        'lead.created',
      );
    });

    it('refuses a second lead with the same name in the same country, in any case (409 LEAD_EXISTS)', async function () {
      await call('lead.create', { name: 'Twin College', type: 'university', country: 'Spain' });
      const err = await call('lead.create', { name: 'TWIN college', type: 'university', country: 'spain' }).catch(
        e => e,
      );
      expect(err.type).to.equal('LEAD_EXISTS');
      expect(err.data).to.deep.equal({ field: 'name', reason: 'duplicate' });
      const other = await call('lead.create', { name: 'Twin College', type: 'university', country: 'Italy' });
      expect(other.id).to.be.a('number');
    });

    it('refuses a website that is not http(s) and an unknown type, by field', async function () {
      const web = await call('lead.create', { name: 'Bad Web', type: 'company', website: 'javascript:alert(1)' }).catch(
        e => e,
      );
      expect(web.data).to.include({ field: 'website', reason: 'format_invalid' });
      const type = await call('lead.create', { name: 'Bad Type', type: 'school' }).catch(e => e);
      expect(type.data).to.include({ field: 'type', reason: 'not_allowed' });
      expect(
        await db.collection('lead_institutions').countDocuments({ name_lower: { $in: ['bad web', 'bad type'] } }),
      ).to.equal(0);
    });

    it('updates the given fields only and announces lead.updated', async function () {
      const lead = await call('lead.create', { name: 'Update Me', type: 'company', notes: 'keep' });
      const updated = await call('lead.update', { lead_id: lead.id, status: 'qualified' });
      expect(updated).to.include({ status: 'qualified', notes: 'keep' });
      await eventually(
        () => facts.find(f => f.name === 'lead.updated' && f.params.lead_id === lead.id),
        'lead.updated',
      );
      const missing = await call('lead.update', { lead_id: 999_999, status: 'lost' }).catch(e => e);
      expect(missing.type).to.equal('LEAD_NOT_FOUND');
    });
  });

  describe('lead.list', function () {
    let ids: Record<string, number>;

    before(async function () {
      await db.collection('lead_institutions').deleteMany({});
      await db.collection('lead_contacts').deleteMany({});
      ids = {};
      for (const [name, type, status, country] of [
        ['Alpha University', 'university', 'new', 'DE'],
        ['Beta Corp', 'company', 'contacted', 'US'],
        ['Gamma Agency', 'government', 'new', 'FR'],
        ["O'Brien Labs", 'company', 'lost', 'IE'],
      ] as const) {
        ids[name] = (await call('lead.create', { name, type, status, country })).id;
      }
      await call('lead.addContact', { lead_id: ids['Beta Corp'], name: 'Zoe Quinn', email: 'zoe.quinn@beta.example' });
    });

    const names = (answer: { leads: Array<{ name: string }> }) => answer.leads.map(l => l.name);

    it('finds leads by a word of the name, a contact name or an email, case-insensitively', async function () {
      expect(names(await call('lead.list', { q: 'univ' }))).to.deep.equal(['Alpha University']);
      expect(names(await call('lead.list', { q: 'QUINN' }))).to.deep.equal(['Beta Corp']);
      expect(names(await call('lead.list', { q: 'zoe.quinn@beta' }))).to.deep.equal(['Beta Corp']);
      expect(names(await call('lead.list', { q: "o'brien" }))).to.deep.equal(["O'Brien Labs"]);
      expect(names(await call('lead.list', { q: 'alpha univ' }))).to.deep.equal(['Alpha University']);
    });

    it('matches the text literally: regex characters find nothing rather than everything', async function () {
      for (const q of ['.*', '(', '[a-z]', '\\']) expect(names(await call('lead.list', { q })), q).to.deep.equal([]);
    });

    it('filters by type and status, sorts, and pages with the total', async function () {
      expect(names(await call('lead.list', { type: 'company', sort: 'name', order: 'asc' }))).to.deep.equal([
        'Beta Corp',
        "O'Brien Labs",
      ]);
      expect(names(await call('lead.list', { status: 'new', sort: 'name', order: 'desc' }))).to.deep.equal([
        'Gamma Agency',
        'Alpha University',
      ]);
      const page2 = await call('lead.list', { sort: 'country', order: 'asc', limit: 2, page: 2 });
      expect(names(page2)).to.deep.equal(["O'Brien Labs", 'Beta Corp']);
      expect(page2.pagination).to.deep.equal({ page: 2, limit: 2, total: 4, pages: 2, more: false });
      expect(page2.leads.map((l: { country: string }) => l.country)).to.deep.equal(['IE', 'US']);
    });

    it('gives each lead its first contact and contact count', async function () {
      const [beta] = (await call('lead.list', { q: 'beta' })).leads;
      expect(beta.contact).to.include({ name: 'Zoe Quinn', email: 'zoe.quinn@beta.example' });
      expect(beta.contact_count).to.equal(1);
    });
  });

  describe('lead.convert', function () {
    it('creates a customer from the lead and its contact, links it, sets status customer (lead.converted)', async function () {
      const lead = await call('lead.create', { name: 'Convert College', type: 'university' });
      await call('lead.addContact', { lead_id: lead.id, name: 'No Mail' });
      await call('lead.addContact', { lead_id: lead.id, name: 'Dean', email: 'dean@convert.example', phone: '+1 555' });
      const answer = await call('lead.convert', { lead_id: lead.id });
      expect(answer).to.include({ created_customer: true, outcome: 'created' });
      expect(answer.lead).to.include({ status: 'customer', customer_id: answer.customer_id });
      const customer = await http('GET', `${system.url}/api/customer/${answer.customer_id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(customer.body.customer).to.include({
        name: 'Convert College',
        email: 'dean@convert.example',
        phone: '+1 555',
      });
      await eventually(
        () =>
          facts.find(
            f =>
              f.name === 'lead.converted' &&
              f.params.lead_id === lead.id &&
              f.params.customer_id === answer.customer_id,
          ),
        'lead.converted',
      );
    });

    it('is idempotent: converting again answers the same customer and creates none', async function () {
      const lead = await call('lead.create', { name: 'Twice Corp', type: 'company' });
      await call('lead.addContact', { lead_id: lead.id, name: 'T', email: 'twice@twice.example' });
      const first = await call('lead.convert', { lead_id: lead.id });
      const customersBefore = await db.collection('customers').countDocuments();
      const again = await call('lead.convert', { lead_id: lead.id });
      expect(again).to.include({ customer_id: first.customer_id, created_customer: false, outcome: 'already' });
      expect(await db.collection('customers').countDocuments()).to.equal(customersBefore);
    });

    it('links the existing customer with that email (any case) instead of creating a second', async function () {
      const existing = await http('POST', `${system.url}/api/customers`, {
        headers: { authorization: `Bearer ${token}` },
        body: { name: 'Existing Customer', email: 'Buyer@Existing.example' },
      });
      expect(existing.status, existing.text).to.equal(201);
      const lead = await call('lead.create', { name: 'Existing Lead', type: 'company' });
      await call('lead.addContact', { lead_id: lead.id, name: 'Buyer', email: 'buyer@existing.example' });
      const answer = await call('lead.convert', { lead_id: lead.id });
      expect(answer).to.include({ customer_id: existing.body.id, created_customer: false, outcome: 'linked' });
    });

    it('two conversions at once end with one customer', async function () {
      const lead = await call('lead.create', { name: 'Race Inc', type: 'company' });
      await call('lead.addContact', { lead_id: lead.id, name: 'R', email: 'race@race.example' });
      const answers = await Promise.all([
        call('lead.convert', { lead_id: lead.id }),
        call('lead.convert', { lead_id: lead.id }),
      ]);
      expect(answers[0].customer_id).to.equal(answers[1].customer_id);
      expect(await db.collection('customers').countDocuments({ email_lower: 'race@race.example' })).to.equal(1);
    });

    it('refuses a lead without a contact email (409 LEAD_NOT_CONVERTIBLE) and changes nothing', async function () {
      const lead = await call('lead.create', { name: 'Mailless Ltd', type: 'company' });
      const err = await call('lead.convert', { lead_id: lead.id }).catch(e => e);
      expect(err.type).to.equal('LEAD_NOT_CONVERTIBLE');
      const doc = await db.collection('lead_institutions').findOne({ _id: lead.id } as never);
      expect(doc).to.include({ status: 'new', customer_id: null });
    });
  });

  describe('contacts, activities and deletion', function () {
    it('an activity with a contact of another lead is refused (404 CONTACT_NOT_FOUND)', async function () {
      const a = await call('lead.create', { name: 'Act A', type: 'other' });
      const b = await call('lead.create', { name: 'Act B', type: 'other' });
      const contact = await call('lead.addContact', { lead_id: b.id, name: 'Other' });
      const err = await call('lead.addActivity', {
        lead_id: a.id,
        contact_id: contact.id,
        type: 'call',
        text: 'x',
      }).catch(e => e);
      expect(err.type).to.equal('CONTACT_NOT_FOUND');
    });

    it('removing a contact keeps its activities without it, and the lead is no longer found by it', async function () {
      const lead = await call('lead.create', { name: 'Keep Acts', type: 'other' });
      const contact = await call('lead.addContact', { lead_id: lead.id, name: 'Xavier Uniqueperson' });
      const activity = await call('lead.addActivity', {
        lead_id: lead.id,
        contact_id: contact.id,
        type: 'meeting',
        text: 'met',
      });
      expect((await call('lead.list', { q: 'uniqueperson' })).leads).to.have.lengthOf(1);
      await call('lead.removeContact', { lead_id: lead.id, contact_id: contact.id });
      const detail = await call('lead.read', { lead_id: lead.id });
      expect(
        detail.activities.map((a: { id: number; contact_id: number | null }) => [a.id, a.contact_id]),
      ).to.deep.equal([[activity.id, null]]);
      expect((await call('lead.list', { q: 'uniqueperson' })).leads).to.have.lengthOf(0);
    });

    it('deleting a lead deletes its contacts and activities (lead.deleted)', async function () {
      const lead = await call('lead.create', { name: 'Doomed', type: 'other' });
      await call('lead.addContact', { lead_id: lead.id, name: 'C' });
      await call('lead.addActivity', { lead_id: lead.id, type: 'note', text: 'n' });
      await call('lead.remove', { lead_id: lead.id });
      expect(await db.collection('lead_institutions').countDocuments({ _id: lead.id })).to.equal(0);
      expect(await db.collection('lead_contacts').countDocuments({ institution_id: lead.id })).to.equal(0);
      expect(await db.collection('lead_activities').countDocuments({ institution_id: lead.id })).to.equal(0);
      await eventually(
        () => facts.find(f => f.name === 'lead.deleted' && f.params.lead_id === lead.id),
        'lead.deleted',
      );
    });
  });
});
