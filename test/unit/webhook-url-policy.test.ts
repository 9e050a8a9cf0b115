// The URL rules of webhooks (services/webhook/url-policy.ts): the address classifier, internal names,
// and the checks on saving, with an injected resolver. Nothing here looks a name up or connects.
import { expect } from 'chai';
import {
  UrlRefusal,
  checkWebhookUrl,
  checkedAddresses,
  isInternalName,
  isPublicAddress,
  parseWebhookUrl,
  type Resolver,
} from '../../services/webhook/url-policy.ts';

/** A resolver that answers from a table and records what it was asked; never touches DNS. */
function fakeResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (host: string) => {
    asked.push(host);
    const addresses = table[host];
    if (!addresses) return Promise.reject(new Error(`ENOTFOUND ${host}`));
    return Promise.resolve(
      addresses.map(address => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) })),
    );
  };
  return Object.assign(resolve, { asked });
}

async function refusal(promise: Promise<unknown>): Promise<UrlRefusal> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(UrlRefusal);
    return err as UrlRefusal;
  }
  throw new Error('expected a refusal');
}

describe('webhook URL policy', function () {
  describe('isPublicAddress (the address classifier)', function () {
    const refused: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'IPv6 loopback'],
      ['10.0.0.1', 'RFC 1918'],
      ['172.16.5.4', 'RFC 1918'],
      ['172.31.255.255', 'RFC 1918'],
      ['192.168.1.1', 'RFC 1918'],
      ['100.64.0.1', 'CGNAT 100.64/10'],
      ['100.127.255.254', 'CGNAT 100.64/10'],
      ['169.254.169.254', 'link-local: cloud metadata'],
      ['169.254.0.1', 'link-local'],
      ['fe80::1', 'IPv6 link-local'],
      ['fc00::1', 'unique local fc00::/7'],
      ['fd12:3456::1', 'unique local fc00::/7'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'IPv6 unspecified'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'IPv6 multicast'],
      ['255.255.255.255', 'broadcast'],
      ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
      ['::ffff:10.0.0.1', 'IPv4-mapped private'],
      ['240.0.0.1', 'reserved'],
      ['not-an-address', 'not an address'],
    ];
    for (const [address, what] of refused) {
      it(`refuses ${address} (${what})`, function () {
        expect(isPublicAddress(address)).to.equal(false);
      });
    }

    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111']) {
      it(`accepts the public address ${address}`, function () {
        expect(isPublicAddress(address)).to.equal(true);
      });
    }
  });

  describe('isInternalName', function () {
    for (const name of [
      'localhost',
      'LOCALHOST',
      'api.localhost',
      'printer.local',
      'metadata.google.internal',
      'redis.default.svc',
      'api.default.svc.cluster.local',
      'intranet',
      'intranet.',
    ]) {
      it(`treats ${name} as internal`, function () {
        expect(isInternalName(name)).to.equal(true);
      });
    }

    it('treats a public name as public', function () {
      expect(isInternalName('hooks.example.com')).to.equal(false);
    });
  });

  describe('parseWebhookUrl (every mode)', function () {
    const bad: Array<[string, string]> = [
      ['ftp://hooks.example.com/x', 'scheme_not_allowed'],
      ['javascript:alert(1)', 'scheme_not_allowed'],
      ['file:///etc/passwd', 'scheme_not_allowed'],
      ['https://user:pass@hooks.example.com/x', 'credentials_not_allowed'],
      ['https://user@hooks.example.com/x', 'credentials_not_allowed'],
      ['not a url', 'format_invalid'],
      ['/relative/path', 'format_invalid'],
      [`https://hooks.example.com/${'a'.repeat(2048)}`, 'too_long'],
    ];
    for (const [url, reason] of bad) {
      it(`refuses ${url.slice(0, 40)} (${reason})`, function () {
        let caught: unknown;
        try {
          parseWebhookUrl(url);
        } catch (err) {
          caught = err;
        }
        expect(caught).to.be.instanceOf(UrlRefusal);
        expect((caught as UrlRefusal).reason).to.equal(reason);
        expect((caught as UrlRefusal).policy).to.equal(false);
      });
    }

    it('accepts http and https URLs with a port, path and query', function () {
      expect(parseWebhookUrl('https://hooks.example.com:8443/in?x=1').hostname).to.equal('hooks.example.com');
      expect(parseWebhookUrl('http://127.0.0.1:3000/hooks').port).to.equal('3000');
    });
  });

  describe('checkWebhookUrl when saving, in production', function () {
    for (const url of [
      'http://127.0.0.1:8080/hooks',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/hooks',
      'http://[::1]:8080/',
      'http://[fd00::1]/',
      'http://100.64.1.1/',
      'http://0.0.0.0/',
      'http://2130706433/', // 127.0.0.1 written as a number
      'http://0x7f.1/',
    ]) {
      it(`refuses the address literal in ${url} without any lookup`, async function () {
        const resolver = fakeResolver({});
        const err = await refusal(checkWebhookUrl(url, true, resolver));
        expect(err.reason).to.equal('address_not_allowed');
        expect(err.policy).to.equal(true);
        expect(resolver.asked).to.deep.equal([]);
      });
    }

    for (const url of [
      'http://localhost:8080/',
      'http://metadata.google.internal/',
      'http://redis.default.svc/',
      'http://api.ns.svc.cluster.local/',
      'http://printer.local/',
      'http://intranet/hooks',
    ]) {
      it(`refuses the internal name in ${url} without any lookup`, async function () {
        const resolver = fakeResolver({});
        const err = await refusal(checkWebhookUrl(url, true, resolver));
        expect(err.reason).to.equal('internal_name');
        expect(resolver.asked).to.deep.equal([]);
      });
    }

    it('refuses a name that resolves to a private address', async function () {
      const resolver = fakeResolver({ 'hooks.example.com': ['10.0.0.7'] });
      const err = await refusal(checkWebhookUrl('https://hooks.example.com/in', true, resolver));
      expect(err.reason).to.equal('address_not_allowed');
      expect(err.message).to.include('private');
      expect(resolver.asked).to.deep.equal(['hooks.example.com']);
    });

    it('refuses a name when any one of its addresses is not public', async function () {
      const resolver = fakeResolver({ 'hooks.example.com': ['93.184.216.34', '2606:4700::1', '169.254.169.254'] });
      const err = await refusal(checkWebhookUrl('https://hooks.example.com/in', true, resolver));
      expect(err.reason).to.equal('address_not_allowed');
      expect(err.message).to.include('linkLocal');
    });

    it('refuses a name that does not resolve', async function () {
      const err = await refusal(checkWebhookUrl('https://nowhere.example.com/', true, fakeResolver({})));
      expect(err.reason).to.equal('unresolvable');
    });

    it('accepts a name whose every address is public', async function () {
      const resolver = fakeResolver({ 'hooks.example.com': ['93.184.216.34', '2606:4700::1'] });
      const url = await checkWebhookUrl('https://hooks.example.com/in', true, resolver);
      expect(url.href).to.equal('https://hooks.example.com/in');
    });
  });

  describe('checkWebhookUrl when saving, outside production', function () {
    it('accepts loopback and private receivers without any lookup', async function () {
      const resolver = fakeResolver({});
      for (const url of ['http://127.0.0.1:3000/hooks', 'http://localhost:3000/', 'http://10.0.0.1/']) {
        expect((await checkWebhookUrl(url, false, resolver)).href).to.equal(new URL(url).href);
      }
      expect(resolver.asked).to.deep.equal([]);
    });

    it('still refuses malformed URLs', async function () {
      const err = await refusal(checkWebhookUrl('gopher://127.0.0.1/', false, fakeResolver({})));
      expect(err.reason).to.equal('scheme_not_allowed');
    });
  });

  describe('checkedAddresses before sending', function () {
    it('answers the checked addresses, which the connection then uses', async function () {
      const resolver = fakeResolver({ 'hooks.example.com': ['93.184.216.34'] });
      const addresses = await checkedAddresses(new URL('https://hooks.example.com/'), true, resolver);
      expect(addresses).to.deep.equal([{ address: '93.184.216.34', family: 4 }]);
    });

    it('refuses in production when the name now resolves to a private address (DNS changed)', async function () {
      const resolver = fakeResolver({ 'hooks.example.com': ['192.168.0.10'] });
      const err = await refusal(checkedAddresses(new URL('https://hooks.example.com/'), true, resolver));
      expect(err.reason).to.equal('address_not_allowed');
    });
  });
});
