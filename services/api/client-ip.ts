/**
 * The client's IP address, which the rate limits, the login throttle and the audit facts key on.
 *
 * Behind TRUST_PROXY proxies, each proxy appends the address it received the request from to
 * X-Forwarded-For, so the rightmost entries are written by proxies we run and everything to their left
 * by whoever sent the request. The client is therefore the entry TRUST_PROXY hops from the right;
 * anything further left is the client's own claim and never read. The entry must be a valid IPv4 or
 * IPv6 address, otherwise the socket address is used: a made-up value can neither pick a fresh bucket
 * nor become a long key in memory or Redis.
 */
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** The longest textual IP address (an IPv6 with an embedded IPv4 and a zone stays well under it). */
const MAX_ADDRESS_LENGTH = 64;
const MAPPED_V4_PREFIX = '::ffff:';

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is 1.2.3.4: one client, one key. */
export function normalizeIp(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith(MAPPED_V4_PREFIX)) {
    const v4 = lower.slice(MAPPED_V4_PREFIX.length);
    if (isIP(v4) === 4) return v4;
  }
  return lower;
}

/** The entry `hops` places from the right of a comma-separated header, without splitting all of it. */
function entryFromRight(header: string, hops: number): string {
  let end = header.length;
  for (let hop = 1; hop < hops; hop += 1) {
    const comma = header.lastIndexOf(',', end - 1);
    // Fewer entries than proxies: the leftmost one was written by the outermost proxy that saw the
    // request (the client reached an inner proxy directly).
    if (comma < 0) return header.slice(0, end).trim();
    end = comma;
  }
  const start = header.lastIndexOf(',', end - 1) + 1;
  return header.slice(start, end).trim();
}

/** The client IP of a request, given how many proxies in front of the gateway append to X-Forwarded-For. */
export function clientIp(req: IncomingMessage, trustedHops: number): string {
  // Once per connection: keep-alive clients send many requests on one socket.
  const socket = req.socket as IncomingMessage['socket'] & { clientIp?: string };
  const fallback = (socket.clientIp ??= socket.remoteAddress ? normalizeIp(socket.remoteAddress) : 'unknown');
  if (trustedHops <= 0) return fallback;
  const raw = req.headers['x-forwarded-for'];
  if (raw === undefined) return fallback;
  // Several X-Forwarded-For headers are one list, in order.
  const header = Array.isArray(raw) ? raw.join(',') : raw;
  const candidate = entryFromRight(header, trustedHops);
  if (candidate.length === 0 || candidate.length > MAX_ADDRESS_LENGTH || isIP(candidate) === 0) return fallback;
  return normalizeIp(candidate);
}

/**
 * What the per-IP limits count under: the address itself for IPv4, the /64 network for IPv6 (one
 * subscriber usually holds a whole /64, so per-address buckets would be free to multiply).
 */
export function limitKeyOf(ip: string): string {
  if (!ip.includes(':')) return ip;
  const address = ip.split('%')[0]!;
  const halves = address.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  // Expand `::` to the zero groups it stands for; an embedded IPv4 at the end counts as two groups.
  const tailGroups = tail.length > 0 && tail.at(-1)!.includes('.') ? tail.length + 1 : tail.length;
  const groups =
    halves.length > 1
      ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tailGroups)).fill('0'), ...tail]
      : head;
  return `${groups
    .slice(0, 4)
    .map(g => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
