import { isIPv4, isIPv6 } from 'node:net';

/** An address already in its coarse form (IPv4 "203.0.113.x", IPv6 "2001:db8:1::/48"). */
export const isCoarseIp = (ip: string) => /(\.x|::\/48)$/.test(ip);

/**
 * The IP's coarse form: IPv4 /24 ("203.0.113.x"), IPv6 /48 ("2001:db8:1::/48"); a coarse one stays
 * as it is; null when unknown. Here because audit rows are coarsened when their account is deleted;
 * the gateway uses the same function for sessions and the admin console.
 */
export function coarseIp(ip: string | null | undefined): string | null {
  if (!ip) return null;
  if (isCoarseIp(ip)) return ip;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.x`;
  if (isIPv6(ip)) {
    const [head = ''] = ip.split('::');
    const groups = head.split(':').filter(Boolean);
    return `${[...groups, '0', '0', '0'].slice(0, 3).join(':')}::/48`;
  }
  return null;
}
