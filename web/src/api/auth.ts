import { api, isApiError } from './client';

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: 'user' | 'admin';
}

interface UserBody {
  user: User;
}

/**
 * The session cookie is HttpOnly, so the page cannot see whether it has one. This flag remembers that
 * it logged in (not who, nothing secret) so a first-time visitor's page does not ask /api/auth/me
 * just to get a 401 — which browsers print as a console error on every visit.
 */
const SESSION_HINT = 'parley.session';
export const sessionHint = {
  get: () => {
    try {
      return localStorage.getItem(SESSION_HINT) === '1';
    } catch {
      return true; // storage blocked: just ask the server
    }
  },
  set: (on: boolean) => {
    try {
      if (on) localStorage.setItem(SESSION_HINT, '1');
      else localStorage.removeItem(SESSION_HINT);
    } catch {
      /* storage blocked */
    }
  },
};

/** The current user, or null when the session is anonymous (401). */
export async function fetchMe(): Promise<User | null> {
  if (!sessionHint.get()) return null;
  try {
    return (await api.get<UserBody>('/api/auth/me')).user;
  } catch (e) {
    if (isApiError(e) && e.status === 401) {
      sessionHint.set(false);
      return null;
    }
    throw e;
  }
}

export async function register(input: { email: string; password: string; displayName: string }): Promise<User | null> {
  const body = await api.post<Partial<UserBody> | undefined>('/api/auth/register', input);
  sessionHint.set(true);
  return body?.user ?? null;
}

export async function login(input: { email: string; password: string }): Promise<User | null> {
  const body = await api.post<Partial<UserBody> | undefined>('/api/auth/login', input);
  sessionHint.set(true);
  return body?.user ?? null;
}

export async function logout(): Promise<void> {
  sessionHint.set(false);
  await api.post<void>('/api/auth/logout');
}
