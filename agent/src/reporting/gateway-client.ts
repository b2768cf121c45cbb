import { signRequest } from '@parley/protocol/signature';

export class GatewayHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayHttpError';
  }
  /** 5xx, 408 and 429 are worth retrying; other 4xx mean the request itself is wrong. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** Signed JSON POST to the gateway's /internal routes (HMAC with the shared service credential). */
export async function postSigned(
  gateway: { url: string; secret: string },
  path: string,
  payload: unknown,
  timeoutMs = 5000,
): Promise<unknown> {
  const body = JSON.stringify(payload);
  const res = await fetch(gateway.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-parley-signature': signRequest(gateway.secret, path, body) },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new GatewayHttpError(res.status, `gateway answered ${res.status} for ${path}`);
  return text ? JSON.parse(text) : null;
}
