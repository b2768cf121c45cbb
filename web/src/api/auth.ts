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

/** The current user, or null when the session is anonymous (401). */
export async function fetchMe(): Promise<User | null> {
  try {
    return (await api.get<UserBody>('/api/auth/me')).user;
  } catch (e) {
    if (isApiError(e) && e.status === 401) return null;
    throw e;
  }
}

export async function register(input: { email: string; password: string; displayName: string }): Promise<User | null> {
  const body = await api.post<Partial<UserBody> | undefined>('/api/auth/register', input);
  return body?.user ?? null;
}

export async function login(input: { email: string; password: string }): Promise<User | null> {
  const body = await api.post<Partial<UserBody> | undefined>('/api/auth/login', input);
  return body?.user ?? null;
}

export const logout = () => api.post<void>('/api/auth/logout');
