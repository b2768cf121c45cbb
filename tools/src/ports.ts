import net from 'node:net';

/** Binds `port` on 127.0.0.1 (0: any) and lets it go: the port bound, or null when it is taken. */
function bindable(port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      port && err.code === 'EADDRINUSE' ? resolve(null) : reject(err),
    );
    srv.listen(port, '127.0.0.1', () => {
      const bound = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(bound));
    });
  });
}

/**
 * Ports freePort() has handed out in this process. bind(0) may give back a port just released, and
 * callers often take two before binding either (a worker's health and metrics ports): the second
 * would then collide with the first (EADDRINUSE, seen in a full suite).
 */
const handedOut = new Set<number>();

/** A TCP port free on 127.0.0.1 right now, and not one this process was given before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = (await bindable(0)) as number;
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('bind(0) gave only ports already handed out, 50 times');
}

/** Linux's default ephemeral range (net.ipv4.ip_local_port_range): outbound connections take ports from it. */
const EPHEMERAL_FIRST = 32768;
const STABLE_FIRST = 20000;

/**
 * A TCP port free on 127.0.0.1 right now, below the ephemeral range, for a server a test kills and
 * starts again on the same port: while it is down, a port from freePort() (an ephemeral one) can be
 * taken as the local port of any outbound connection on the machine, and the restart cannot bind.
 */
export async function freeStablePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = STABLE_FIRST + Math.floor(Math.random() * (EPHEMERAL_FIRST - STABLE_FIRST));
    if ((await bindable(port)) !== null) return port;
  }
  throw new Error(`no free port in ${STABLE_FIRST}-${EPHEMERAL_FIRST - 1} after 50 tries`);
}
