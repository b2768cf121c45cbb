import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { fetchMe, logout as apiLogout, sessionHint, type User } from '../api/auth';
import { errorMessage, onUnauthenticated } from '../api/client';
import type { Early } from '../lib/firstLoad';

interface AuthValue {
  /** undefined while the first /api/auth/me is in flight. */
  user: User | null | undefined;
  /** Set when /api/auth/me failed for a reason other than "not logged in" (e.g. server down). */
  loadError: string | null;
  setUser(u: User | null): void;
  refresh(): Promise<User | null>;
  logout(): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

/**
 * `initialUser` skips /api/auth/me (tests, a page that knows); `early` is the page load's /api/auth/me
 * already in flight (main.tsx): its answer, if it came before the first render, is the first state.
 */
export function AuthProvider({
  children,
  initialUser,
  early,
}: {
  children: ReactNode;
  initialUser?: User | null;
  early?: Early<User | null>;
}) {
  // What is known at the first render: given, answered early, or (undefined) still to be asked.
  const [first] = useState(() => {
    if (initialUser !== undefined) return { user: initialUser, error: null };
    const r = early?.result;
    if (!r) return { user: undefined, error: null };
    return r.ok ? { user: r.value, error: null } : { user: null, error: errorMessage(r.error) };
  });
  const [user, setUserState] = useState<User | null | undefined>(first.user);
  const setUser = useCallback((u: User | null) => {
    sessionHint.set(u !== null);
    setUserState(u);
  }, []);
  const [loadError, setLoadError] = useState<string | null>(first.error);

  const load = useCallback(async (me: Promise<User | null>) => {
    try {
      const u = await me;
      setUserState(u);
      setLoadError(null);
      return u;
    } catch (e) {
      setUserState(null);
      setLoadError(errorMessage(e));
      return null;
    }
  }, []);
  const refresh = useCallback(() => load(fetchMe()), [load]);

  useEffect(() => {
    if (first.user === undefined) void load(early?.promise ?? fetchMe());
  }, [first, early, load]);

  // Any 401 from the API means the session is over: show the logged-out state.
  useEffect(() => {
    onUnauthenticated(() => setUser(null));
    return () => onUnauthenticated(null);
  }, [setUser]);

  const logout = useCallback(async () => {
    try {
      await apiLogout();
    } finally {
      setUser(null);
    }
  }, [setUser]);

  const value = useMemo(
    () => ({ user, loadError, setUser, refresh, logout }),
    [user, loadError, setUser, refresh, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
