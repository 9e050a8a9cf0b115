// The web foundation's pure parts: templates that escape by default, link targets, CSV cells that
// cannot run as formulas, where a login may send the browser, and production cookie attributes.
import { expect } from 'chai';
import { Html, attrs, html, join, safeHref } from '../../services/web/html.ts';
import { neutralise, parseLeadsCsv, restore } from '../../services/web/csv.ts';
import { safeNext } from '../../services/web/auth.actions.ts';
import { cookieNames, secretsEqual, setCookie } from '../../services/web/sessions.ts';

describe('html`...` templates', function () {
  it('escapes every interpolated text', function () {
    const evil = `<script>alert("x")</script>' onmouseover=1 \``;
    expect(html`<p title="${evil}">${evil}</p>`.text).to.equal(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=1 &#96;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=1 &#96;</p>',
    );
  });

  it('inserts markup made by html itself, lists of it, and nothing for null, undefined and false', function () {
    const item = (t: string) => html`<li>${t}</li>`;
    const list = ['a<', 'b'].map(item);
    // prettier-ignore
    const rendered = html`<ul>${list}${null}${undefined}${false}</ul>`;
    expect(rendered.text).to.equal('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(join([html`<b>1</b>`, '<i>']).text).to.equal('<b>1</b>&lt;i&gt;');
  });

  it('cannot be forged: an Html value is made by the template only, and a look-alike object is text', function () {
    expect(() => new Html(Symbol('Html'), '<b>')).to.throw(TypeError);
    const lookalike = { text: '<b>x</b>', toString: () => '<b>x</b>' } as unknown as string;
    expect(html`${lookalike}`.text).to.equal('&lt;b&gt;x&lt;/b&gt;');
  });

  it('renders attributes escaped, boolean ones present or absent, and refuses a made-up name', function () {
    expect(attrs({ value: '"x"', required: true, disabled: false, maxlength: 5, hint: null }).text).to.equal(
      ' value="&quot;x&quot;" required maxlength="5"',
    );
    expect(() => attrs({ 'onclick x': 'y' })).to.throw(TypeError);
  });

  it('lets only same-site paths and http(s) addresses into links', function () {
    expect(safeHref('/leads/edit/1')).to.equal('/leads/edit/1');
    expect(safeHref('https://uni.example/a')).to.equal('https://uni.example/a');
    for (const bad of [
      'javascript:alert(1)',
      'JAVASCRIPT:x',
      'data:text/html,x',
      '//evil.example',
      '/\\evil.example',
      'vbscript:x',
    ]) {
      expect(safeHref(bad), bad).to.equal('#');
    }
  });
});

describe('CSV cells', function () {
  it('neutralises cells starting with =, +, -, @, tab or carriage return, and restores them on import', function () {
    for (const cell of ['=1+1', '+44', '-2', '@SUM(A1)', '\tx', '\rx']) {
      expect(neutralise(cell)).to.equal(`'${cell}`);
      expect(restore(neutralise(cell))).to.equal(cell);
    }
    expect(neutralise('plain')).to.equal('plain');
    expect(restore("'quoted on purpose")).to.equal("'quoted on purpose");
  });

  it('reads a file with a BOM, CRLF line ends and quoted fields', function () {
    const parsed = parseLeadsCsv({ filename: 'x.csv', size: 0, utf8: true, text: 'Name,Country\r\n"A, ""B""",DE\r\n' });
    expect(parsed).to.deep.equal({ rows: [{ line: 2, values: { name: 'A, "B"', country: 'DE' } }] });
  });
});

describe('after login', function () {
  it('goes only to a path of this site, else to the dashboard', function () {
    expect(safeNext('/leads/?q=uni')).to.equal('/leads/?q=uni');
    for (const bad of [
      undefined,
      '',
      '/',
      '//evil.example',
      '/\\evil',
      'https://evil.example',
      '/login',
      '/logout',
      '/x\ny',
      `/${'a'.repeat(600)}`,
    ]) {
      expect(safeNext(bad), String(bad)).to.equal('/admin/');
    }
  });
});

describe('session cookies', function () {
  it('are __Host- prefixed and Secure in production', function () {
    expect(cookieNames(true)).to.deep.equal({ session: '__Host-ls_session', loginCsrf: '__Host-ls_login' });
    expect(setCookie('__Host-ls_session', 'v', { secure: true })).to.equal(
      '__Host-ls_session=v; Path=/; HttpOnly; SameSite=Lax; Secure',
    );
  });

  it('compare secrets by value only', function () {
    expect(secretsEqual('abc', 'abc')).to.equal(true);
    expect(secretsEqual('abd', 'abc')).to.equal(false);
    expect(secretsEqual(undefined, 'abc')).to.equal(false);
    expect(secretsEqual('', '')).to.equal(false);
  });
});
