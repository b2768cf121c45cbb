import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { WebhookUrlRefusal } from '@parley/protocol';

/**
 * SSRF guard for webhook endpoints. A URL is accepted when it is https:// and every address its
 * host resolves to is public; an operator may allow non-public networks (WEBHOOK_ALLOWED_NETWORKS:
 * intranet receivers, tests), and plain http:// only into those. The check runs when an endpoint is
 * registered and again on every attempt, inside the connection's own DNS lookup (`lookup()`), so a
 * name that later resolves to a private address (DNS rebinding) is refused before connecting.
 */

/** Loopback, private, link-local, shared, documentation, multicast and reserved ranges (IANA special-purpose registries). */
const NON_PUBLIC_V4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;
const NON_PUBLIC_V6 = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const;

export class UrlRefused extends Error {
  constructor(readonly reason: WebhookUrlRefusal) {
    super(`webhook URL refused: ${reason}`);
    this.name = 'UrlRefused';
  }
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`, `::ffff:a00:1`) → `10.0.0.1`; other addresses unchanged. */
function unmap(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return { address: m[1]!, family: 'ipv4' };
  // URL parsing writes [::ffff:192.168.1.1] as [::ffff:c0a8:101].
  const h = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (h) {
    const hi = parseInt(h[1]!, 16);
    const lo = parseInt(h[2]!, 16);
    return { address: [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.'), family: 'ipv4' };
  }
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export class UrlGuard {
  private readonly nonPublic = new BlockList();
  private readonly allowed = new BlockList();
  readonly hasAllowList: boolean;

  /** @param allowedNetworks CIDRs or bare addresses; throws on one that does not parse (a start-up error). */
  constructor(allowedNetworks: readonly string[]) {
    for (const [a, p] of NON_PUBLIC_V4) this.nonPublic.addSubnet(a, p, 'ipv4');
    for (const [a, p] of NON_PUBLIC_V6) this.nonPublic.addSubnet(a, p, 'ipv6');
    for (const n of allowedNetworks) {
      const [addr, prefix] = n.split('/');
      const family = isIP(addr ?? '');
      if (!family) throw new Error(`WEBHOOK_ALLOWED_NETWORKS: ${n} is not an address or CIDR`);
      const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
        throw new Error(`WEBHOOK_ALLOWED_NETWORKS: ${n} has a bad prefix length`);
      this.allowed.addSubnet(addr!, bits, family === 4 ? 'ipv4' : 'ipv6');
    }
    this.hasAllowList = allowedNetworks.length > 0;
  }

  /** The operator allowed this address explicitly. */
  isAllowListed(address: string): boolean {
    const a = unmap(address);
    return this.allowed.check(a.address, a.family);
  }

  /** May Parley connect to this address (with this scheme)? */
  permits(address: string, https: boolean): boolean {
    if (this.isAllowListed(address)) return true;
    const a = unmap(address);
    return https && !this.nonPublic.check(a.address, a.family);
  }

  /** Parses a URL and checks its scheme (before any DNS). */
  parse(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UrlRefused('invalid_url');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UrlRefused('invalid_url');
    if (!url.hostname) throw new UrlRefused('invalid_url');
    if (url.protocol === 'http:' && !this.hasAllowList) throw new UrlRefused('not_https');
    return url;
  }

  /** Resolves the URL's host and checks every address; throws UrlRefused. */
  async check(raw: string): Promise<URL> {
    const url = this.parse(raw);
    const addresses = await resolve(hostOf(url)).catch(() => {
      throw new UrlRefused('unresolvable');
    });
    if (!addresses.length) throw new UrlRefused('unresolvable');
    this.checkAddresses(
      addresses.map((a) => a.address),
      url.protocol === 'https:',
    );
    return url;
  }

  private checkAddresses(addresses: string[], https: boolean) {
    for (const a of addresses) {
      if (this.permits(a, https)) continue;
      // http:// to a public address is a scheme problem, not an address problem.
      const u = unmap(a);
      throw new UrlRefused(!https && !this.nonPublic.check(u.address, u.family) ? 'not_https' : 'private_address');
    }
  }

  /** A `lookup` for http(s).request that refuses forbidden addresses at connection time (pins what it checked). */
  lookup(https: boolean): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        try {
          this.checkAddresses(
            addresses.map((a) => a.address),
            https,
          );
        } catch (e) {
          return callback(e as NodeJS.ErrnoException, '', 0);
        }
        if ((options as { all?: boolean }).all)
          return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      });
    };
  }
}

/** `[::1]` → `::1` (URL keeps IPv6 hosts in brackets). */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

function resolve(host: string): Promise<LookupAddress[]> {
  if (isIP(host)) return Promise.resolve([{ address: host, family: isIP(host) }]);
  return new Promise((ok, fail) => dnsLookup(host, { all: true }, (err, a) => (err ? fail(err) : ok(a))));
}
