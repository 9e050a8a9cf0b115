// GET /leads/export and POST /leads/import: UTF-8 CSV with RFC 4180 quoting, formula cells
// neutralised, the current filter applied; imports checked as a whole (a malformed file imports
// nothing), then row by row with a report; exporting what was imported gives the same rows back.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { parse } from 'csv-parse/sync';
import { resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { PageClient, expectHtml, textOf } from '../helpers/pages.ts';

const HEADER = 'id,name,type,country,website,status,owner,notes,contact_name,contact_email,contact_phone,contact_role';

function csv(rows: string[][]): string {
  return (
    rows.map(r => r.map(c => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n'
  );
}

describe('lead CSV export and import', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let db: mongoose.Connection;
  let admin: PageClient;

  const count = () => db.collection('lead_institutions').countDocuments();
  const clear = async () => {
    for (const c of ['lead_institutions', 'lead_contacts', 'lead_activities']) await db.collection(c).deleteMany({});
  };
  const exported = async (query = '') => {
    const res = await admin.get(`/leads/export${query}`);
    expect(res.status, res.text).to.equal(200);
    return res;
  };
  const rowsOf = (text: string) => parse(text, { bom: true });

  before(async function () {
    await resetStores();
    system = await startSystem({
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        WEB_UPLOAD_MAX_BYTES: String(1024 * 1024),
      },
    });
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    admin = new PageClient(system.url);
    await admin.loginAdmin();
  });

  after(async function () {
    await db?.close();
    await system?.stop();
  });

  beforeEach(async function () {
    await clear();
    await admin.get('/leads/');
  });

  describe('GET /leads/export', function () {
    it('answers a UTF-8 CSV download: BOM, header row, CRLF, RFC 4180 quoting', async function () {
      await admin.upload(
        '/leads/import',
        csv([
          ['name', 'type', 'notes'],
          ['Smith, Jones & "Co"', 'company', 'line one\nline two'],
        ]),
      );
      const res = await fetch(`${system.url}/leads/export`, { headers: { cookie: admin.cookieHeader() } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="leads-\d{4}-\d{2}-\d{2}\.csv"$/);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const text = bytes.toString('utf8');
      expect(text.startsWith(`\uFEFF${HEADER}\r\n`)).to.equal(true);
      expect(text).to.include('"Smith, Jones & ""Co""",company,,,new,,"line one\nline two"');
    });

    it('neutralises cells that a spreadsheet would run as formulas', async function () {
      await admin.upload(
        '/leads/import',
        csv([
          ['name', 'notes', 'contact_name', 'contact_phone'],
          ['=HYPERLINK("http://evil.example")', '@SUM(A1)', '-2+3', '+44 20 7946 0000'],
          ['Tab Lead', '\tindented', 'Plain', ''],
        ]),
      );
      const rows = rowsOf((await exported()).text);
      const byName = new Map(rows.slice(1).map(r => [r[1], r]));
      const evil = byName.get(`'=HYPERLINK("http://evil.example")`)!;
      expect(evil[7]).to.equal("'@SUM(A1)");
      expect(evil[8]).to.equal("'-2+3");
      expect(evil[10]).to.equal("'+44 20 7946 0000");
      expect(byName.get('Tab Lead')![7]).to.equal("'\tindented");
      for (const row of rows) for (const cell of row) expect(cell, cell).to.not.match(/^[=+\-@\t\r]/);
    });

    it('applies the current filter', async function () {
      await admin.upload(
        '/leads/import',
        csv([
          ['name', 'type'],
          ['Filter Uni', 'university'],
          ['Filter Co', 'company'],
        ]),
      );
      const rows = rowsOf((await exported('?type=company')).text);
      expect(rows.slice(1).map(r => r[1])).to.deep.equal(['Filter Co']);
      const searched = rowsOf((await exported('?q=uni')).text);
      expect(searched.slice(1).map(r => r[1])).to.deep.equal(['Filter Uni']);
    });
  });

  describe('POST /leads/import: a malformed file imports nothing', function () {
    const cases: Array<[string, Buffer | string, string]> = [
      ['an empty file', '', 'the file is empty'],
      ['wrong headers', 'title,kind\nA,b\n', 'the header row names unknown columns (title, kind)'],
      ['no name column', 'country,type\nDE,company\n', 'the header row has no name column'],
      ['a header row only', 'name,country\n', 'the file has a header row but no rows to import'],
      [
        'non-UTF-8 text (Latin-1)',
        Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x0a, 0x43, 0x61, 0x66, 0xe9, 0x0a]),
        'the file is not UTF-8 text',
      ],
      ['not CSV (an unclosed quote)', 'name,country\n"Open quote,DE\nNext,FR\n', 'the file is not valid CSV'],
      ['not CSV (rows of different lengths)', 'name,country\nA,DE,extra\n', 'the file is not valid CSV'],
    ];
    for (const [what, body, message] of cases) {
      it(`${what}: 400 with the reason, nothing stored`, async function () {
        const res = await admin.upload('/leads/import', body);
        expectHtml(res, 400);
        expect(textOf(res.text)).to.include(`Nothing was imported: ${message}`);
        expect(await count()).to.equal(0);
      });
    }

    it('a file over WEB_UPLOAD_MAX_BYTES: 413 page, nothing stored', async function () {
      const big = `name,notes\n${'A,'.padEnd(1000, 'x')}\n`.repeat(1100);
      const res = await admin.upload('/leads/import', big);
      expectHtml(res, 413);
      expect(await count()).to.equal(0);
    });
  });

  describe('POST /leads/import: row by row', function () {
    it('reports created, updated (by id, by name + country) and rejected rows with their reasons', async function () {
      await admin.upload(
        '/leads/import',
        csv([
          ['name', 'country', 'type'],
          ['Known One', 'DE', 'company'],
          ['Known Two', 'FR', 'company'],
        ]),
      );
      const known = await db.collection('lead_institutions').findOne({ name: 'Known One' });
      const res = await admin.upload(
        '/leads/import',
        csv([
          ['id', 'name', 'country', 'type', 'status', 'contact_name', 'contact_email'],
          [String(known!._id), 'Known One', 'DE', 'company', 'qualified', '', ''],
          ['', 'known two', 'fr', 'government', '', '', ''],
          ['', 'Brand New', 'IT', 'University', 'Contacted', 'Ada', 'ada@new.example'],
          ['', 'Bad Type', 'IT', 'spaceship', '', '', ''],
          ['', 'Bad Mail', 'IT', 'company', '', 'Bo', 'not-an-email'],
          ['999999', 'Ghost', 'IT', 'company', '', '', ''],
          ['', '', 'IT', 'company', '', '', ''],
        ]),
      );
      expectHtml(res, 200);
      const text = textOf(res.text);
      expect(text).to.include('1 created 2 updated 4 rejected');
      expect(text).to.include('5 Bad Type type must be one of: university, company, government, other');
      expect(text).to.include('6 Bad Mail contact_email is not a valid email address');
      expect(text).to.include('7 Ghost no lead has id 999999');
      expect(text).to.include('8 name is required');
      expect(await db.collection('lead_institutions').findOne({ _id: known!._id })).to.include({ status: 'qualified' });
      expect(await db.collection('lead_institutions').findOne({ name_lower: 'known two' })).to.include({
        type: 'government',
      });
      const created = await db.collection('lead_institutions').findOne({ name: 'Brand New' });
      expect(created).to.include({ type: 'university', status: 'contacted' });
      expect(await db.collection('lead_contacts').findOne({ institution_id: created!._id })).to.include({
        name: 'Ada',
        email: 'ada@new.example',
      });
    });

    it('rejects a repeated row (same name and country) as a duplicate of the first', async function () {
      const res = await admin.upload(
        '/leads/import',
        csv([
          ['name', 'country'],
          ['Dup Lead', 'DE'],
          ['Other', 'DE'],
          ['DUP lead', 'de'],
        ]),
      );
      expect(textOf(res.text)).to.include('2 created 0 updated 1 rejected');
      expect(textOf(res.text)).to.include('4 DUP lead duplicate of row 2: only the first is imported');
      expect(await count()).to.equal(2);
    });

    it('keeps quoted commas, quotes and newlines exactly', async function () {
      await admin.upload(
        '/leads/import',
        csv([
          ['name', 'notes'],
          ['Comma, Inc.', 'say "hi"\r\nsecond line, with comma'],
        ]),
      );
      expect(await db.collection('lead_institutions').findOne({ name: 'Comma, Inc.' })).to.include({
        notes: 'say "hi"\r\nsecond line, with comma',
      });
    });

    it('imports 5,000 rows in a few seconds', async function () {
      const rows = [['name', 'type', 'country', 'status', 'owner', 'notes', 'contact_name', 'contact_email']];
      for (let i = 0; i < 5000; i += 1) {
        rows.push([
          `Bulk Institution ${i}`,
          i % 2 ? 'company' : 'university',
          'DE',
          'new',
          'sam',
          `row ${i}`,
          `Person ${i}`,
          `p${i}@bulk.example`,
        ]);
      }
      const started = Date.now();
      const res = await admin.upload('/leads/import', csv(rows));
      const ms = Date.now() - started;
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('5000 created 0 updated 0 rejected');
      expect(await count()).to.equal(5000);
      expect(await db.collection('lead_contacts').countDocuments()).to.equal(5000);
      console.log(`      5,000-row import: ${ms} ms`);
      expect(ms).to.be.below(15_000);
      const list = await admin.get('/leads/?q=p4321@bulk');
      expect(textOf(list.text)).to.include('Bulk Institution 4321');
    });
  });

  describe('round trip', function () {
    it('exporting what was imported gives the same rows back, and importing the export changes nothing', async function () {
      const source = [
        [
          'name',
          'type',
          'country',
          'website',
          'status',
          'owner',
          'notes',
          'contact_name',
          'contact_email',
          'contact_phone',
          'contact_role',
        ],
        [
          'Round Uni',
          'university',
          'DE',
          'https://round.example',
          'qualified',
          'sam',
          'multi\nline, "quoted"',
          'Rita',
          'rita@round.example',
          '+49 30 1',
          'Dean',
        ],
        ['=Formula Co', 'company', 'US', '', 'new', '', '@risky', '', '', '', ''],
        ['Ünïcødé Gmbh', 'other', 'AT', '', 'lost', 'jo', '日本語', 'Zoë', '', '', ''],
      ];
      await admin.upload('/leads/import', csv(source));
      const first = (await exported()).text;
      const rows = rowsOf(first);
      expect(rows[0]).to.deep.equal(HEADER.split(','));
      const neutral = (c: string) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c);
      expect(rows.slice(1).map(r => r.slice(1))).to.deep.equal(source.slice(1).map(r => r.map(neutral)));

      const report = await admin.upload('/leads/import', first);
      expect(textOf(report.text)).to.include('0 created 3 updated 0 rejected');
      const second = (await exported()).text;
      expect(second).to.equal(first);
    });
  });
});

describe('lead CSV import and export with the pages on another node than the gateway (NATS)', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let admin: PageClient;

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [
        ['api', 'license'],
        ['auth', 'device', 'version', 'customer', 'resource', 'search', 'lead', 'web'],
      ],
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000', RATE_LIMIT_ADMIN_PER_MINUTE: '100000' },
    });
    admin = new PageClient(system.url);
    await admin.loginAdmin();
  });

  after(async function () {
    await system?.stop();
  });

  it('moves files larger than one NATS message (1 MB) both ways', async function () {
    const notes = 'n'.repeat(1900);
    const rows = [['name', 'notes'], ...Array.from({ length: 600 }, (_, i) => [`Far Node ${i}`, notes])];
    const file = csv(rows);
    expect(file.length).to.be.above(1024 * 1024);
    const report = await admin.upload('/leads/import', file);
    expectHtml(report, 200);
    expect(textOf(report.text)).to.include('600 created 0 updated 0 rejected');

    const res = await fetch(`${system.url}/leads/export`, { headers: { cookie: admin.cookieHeader() } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    const text = await res.text();
    expect(text.length).to.be.above(1024 * 1024);
    const exported = parse(text, { bom: true });
    expect(exported).to.have.lengthOf(601);
    expect(exported.slice(1).map(r => r[7])).to.satisfy((cells: string[]) => cells.every(c => c === notes));
  });
});
