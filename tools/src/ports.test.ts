import type * as Net from 'node:net';
import { describe, expect, it, vi } from 'vitest';

// bind(0) as the kernel may answer it: the same port again right after it was released.
const kernel = vi.hoisted(() => ({ answers: [40433, 40433, 40433, 40434] }));
vi.mock('node:net', async (actual) => {
  const net = await actual<typeof Net>();
  const createServer = () => {
    const srv = net.createServer();
    let port = 0;
    return Object.assign(srv, {
      listen: (p: number, host: string, cb: () => void) => {
        port = p || kernel.answers.shift()!;
        queueMicrotask(cb);
        return srv;
      },
      address: () => ({ port, address: '127.0.0.1', family: 'IPv4' }),
      close: (cb: () => void) => {
        queueMicrotask(cb);
        return srv;
      },
    });
  };
  return { ...net, default: { ...net, createServer }, createServer };
});

describe('freePort', () => {
  it('never hands one process the same port twice, even when bind(0) repeats one', async () => {
    const { freePort } = await import('./ports');
    const first = await freePort();
    const second = await freePort();
    expect(first).toBe(40433);
    expect(second).toBe(40434);
  });
});
