import net from 'node:net';

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
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
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${STABLE_FIRST}-${EPHEMERAL_FIRST - 1} after 50 tries`);
}
