import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { fetchMe, logout as apiLogout, sessionHint, type User } from '../api/auth';
import { errorMessage, onUnauthenticated } from '../api/client';

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

export function AuthProvider({ children, initialUser }: { children: ReactNode; initialUser?: User | null }) {
  const [user, setUserState] = useState<User | null | undefined>(initialUser);
  const setUser = useCallback((u: User | null) => {
    sessionHint.set(u !== null);
    setUserState(u);
  }, []);
  const [loadError, setLoadError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const me = await fetchMe();
      setUserState(me);
      setLoadError(null);
      return me;
    } catch (e) {
      setUserState(null);
      setLoadError(errorMessage(e));
      return null;
    }
  }, []);

  useEffect(() => {
    if (initialUser === undefined) void refresh();
  }, [initialUser, refresh]);

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
