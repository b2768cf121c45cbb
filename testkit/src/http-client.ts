/**
 * A small browser-like HTTP client for tests: keeps cookies, sends the app's Origin on writes
 * (as a browser does), and returns status, headers and parsed JSON.
 */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export class TestClient {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly baseUrl: string,
    readonly origin: string | null = baseUrl,
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    init: { headers?: Record<string, string>; raw?: string | Buffer } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    if (this.origin && method !== 'GET' && method !== 'HEAD' && !('origin' in headers)) headers.origin = this.origin;
    let payload: string | Buffer | undefined = init.raw;
    if (body !== undefined && payload === undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body: payload, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get = <T = any>(p: string, init?: { headers?: Record<string, string> }) => this.request<T>('GET', p, undefined, init);
  post = <T = any>(p: string, b?: unknown, init?: { headers?: Record<string, string>; raw?: string | Buffer }) =>
    this.request<T>('POST', p, b, init);
  put = <T = any>(p: string, b?: unknown, init?: { headers?: Record<string, string> }) =>
    this.request<T>('PUT', p, b, init);
  patch = <T = any>(p: string, b?: unknown, init?: { headers?: Record<string, string> }) =>
    this.request<T>('PATCH', p, b, init);
  delete = <T = any>(p: string, init?: { headers?: Record<string, string> }) =>
    this.request<T>('DELETE', p, undefined, init);
}
