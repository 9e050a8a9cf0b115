/**
 * Which URLs webhooks may be sent to. Everywhere: http or https, at most 2048 characters, no user or
 * password in the URL. In production also: no name that only means something inside a network
 * (`localhost`, `*.local`, `*.internal`, `*.svc`, `*.cluster.local`, single labels), and every address
 * the host resolves to must be public unicast (not loopback, private, CGNAT, link-local with the cloud
 * metadata address, unique-local, multicast, unspecified or reserved). The check runs when a URL is
 * saved and again before each attempt, whose connection then goes to the address that was checked, so
 * DNS cannot answer differently between the check and the connect (services/webhook/sender.ts).
 *
 * Name resolution is a parameter (`Resolver`), so tests check refusals without any lookup or
 * connection.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export const MAX_URL_LENGTH = 2048;

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async hostname => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map(a => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Why a URL was refused: `reason` goes to the error's details, `message` to people. */
export class UrlRefusal extends Error {
  readonly reason: string;
  /** True for the production address rules (WEBHOOK_URL_NOT_ALLOWED), false for a malformed URL. */
  readonly policy: boolean;
  constructor(reason: string, message: string, policy: boolean) {
    super(message);
    this.name = 'UrlRefusal';
    this.reason = reason;
    this.policy = policy;
  }
}

const INTERNAL_SUFFIXES = ['.localhost', '.local', '.internal', '.svc', '.cluster.local', '.localdomain', '.home.arpa'];

/** The range ipaddr.js gives an address (`unicast`, `loopback`, `private`, ...); IPv4-mapped IPv6 as IPv4. */
export function addressRange(address: string): string {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range();
}

/** Only public unicast addresses may receive webhooks in production. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return addressRange(address) === 'unicast';
}

/** A name that only resolves inside a network, refused in production before any lookup. */
export function isInternalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || !name.includes('.')) return true;
  return INTERNAL_SUFFIXES.some(suffix => name.endsWith(suffix));
}

/** The URL's host without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Shape rules, every mode: throws UrlRefusal, or answers the parsed URL. */
export function parseWebhookUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) {
    throw new UrlRefusal('too_long', `url must be at most ${MAX_URL_LENGTH} characters`, false);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlRefusal('format_invalid', 'url is not a valid absolute URL', false);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlRefusal('scheme_not_allowed', 'url must use http or https', false);
  }
  if (url.username || url.password) {
    throw new UrlRefusal('credentials_not_allowed', 'url must not carry a user name or password', false);
  }
  if (!url.hostname) throw new UrlRefusal('format_invalid', 'url has no host', false);
  return url;
}

/**
 * The addresses to connect to for this URL, each checked: in production every address must be public
 * and the name not internal; elsewhere anything resolvable goes (local receivers). Throws UrlRefusal.
 */
export async function checkedAddresses(url: URL, production: boolean, resolve: Resolver): Promise<ResolvedAddress[]> {
  const host = bareHost(url);
  if (ipaddr.isValid(host)) {
    const literal: ResolvedAddress = { address: host, family: host.includes(':') ? 6 : 4 };
    if (production && !isPublicAddress(host)) throw refusedAddress(host);
    return [literal];
  }
  if (production && isInternalName(host)) {
    throw new UrlRefusal('internal_name', `url host "${host}" is a local or cluster-internal name`, true);
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) throw new UrlRefusal('unresolvable', `url host "${host}" does not resolve`, true);
  if (production) {
    const bad = addresses.find(a => !isPublicAddress(a.address));
    if (bad) throw refusedAddress(bad.address);
  }
  return addresses;
}

function refusedAddress(address: string): UrlRefusal {
  const range = ipaddr.isValid(address) ? addressRange(address) : 'invalid';
  return new UrlRefusal('address_not_allowed', `url resolves to a non-public address (${range})`, true);
}

/** The full check of a URL being saved: shape, then (in production) names and addresses. */
export async function checkWebhookUrl(raw: string, production: boolean, resolve: Resolver): Promise<URL> {
  const url = parseWebhookUrl(raw);
  // Outside production nothing about the address is refused: no lookup when saving.
  if (production) await checkedAddresses(url, production, resolve);
  return url;
}
