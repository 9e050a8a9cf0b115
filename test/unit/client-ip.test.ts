// Which address a request counts under (services/api/client-ip.ts): the entry TRUST_PROXY hops from the
// right of X-Forwarded-For, a valid IP or else the socket address.
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { clientIp, limitKeyOf, normalizeIp } from '../../services/api/client-ip.ts';

function request(xff: string | string[] | undefined, socket = '::ffff:10.0.0.1'): IncomingMessage {
  return {
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    socket: { remoteAddress: socket },
  } as unknown as IncomingMessage;
}

describe('clientIp', function () {
  it('is the socket address without trusted proxies, whatever X-Forwarded-For says', function () {
    expect(clientIp(request('198.51.100.7'), 0)).to.equal('10.0.0.1');
  });

  it('is the rightmost entry behind one proxy, and the one before it behind two', function () {
    const xff = '6.6.6.6, 198.51.100.7, 10.1.1.1';
    expect(clientIp(request(xff), 1)).to.equal('10.1.1.1');
    expect(clientIp(request(xff), 2)).to.equal('198.51.100.7');
    expect(clientIp(request(xff), 3)).to.equal('6.6.6.6');
  });

  it('is the leftmost entry when there are fewer entries than proxies', function () {
    expect(clientIp(request('198.51.100.7'), 2)).to.equal('198.51.100.7');
  });

  it('reads several X-Forwarded-For headers as one list', function () {
    expect(clientIp(request(['6.6.6.6', '198.51.100.7']), 1)).to.equal('198.51.100.7');
  });

  it('falls back to the socket address for anything that is not an IP address', function () {
    for (const bad of ['', 'unknown', '1.2.3.4.5', '300.1.1.1', '1.2.3.4:80', 'x'.repeat(100), `${'1'.repeat(70)}`]) {
      expect(clientIp(request(`6.6.6.6, ${bad}`), 1), bad).to.equal('10.0.0.1');
    }
    expect(clientIp(request(undefined), 1)).to.equal('10.0.0.1');
  });

  it('never reads past the trusted entries, however long the client makes the header', function () {
    const padded = `${'junk,'.repeat(3000)}203.0.113.5`;
    expect(clientIp(request(padded), 1)).to.equal('203.0.113.5');
  });

  it('accepts IPv6 and writes IPv4-mapped addresses as IPv4', function () {
    expect(clientIp(request('2001:DB8::1'), 1)).to.equal('2001:db8::1');
    expect(clientIp(request('::ffff:203.0.113.5'), 1)).to.equal('203.0.113.5');
    expect(normalizeIp('::FFFF:1.2.3.4')).to.equal('1.2.3.4');
  });
});

describe('limitKeyOf', function () {
  it('is the address itself for IPv4', function () {
    expect(limitKeyOf('203.0.113.5')).to.equal('203.0.113.5');
  });

  it('is the /64 network for IPv6, so one subscriber cannot multiply buckets', function () {
    expect(limitKeyOf('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
    expect(limitKeyOf('2001:db8:1:2:bbbb:cccc:dddd:eeee')).to.equal('2001:db8:1:2::/64');
    expect(limitKeyOf('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(limitKeyOf('::1')).to.equal('0:0:0:0::/64');
    expect(limitKeyOf('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
  });
});
