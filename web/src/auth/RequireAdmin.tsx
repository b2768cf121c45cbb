import type { ReactNode } from 'react';
import { useAuth } from './AuthContext';
import { Loading } from '../components/Loading';
import { NotFoundPage } from '../pages/NotFoundPage';

/**
 * Pages for admins only. Everyone else, signed in or not, gets the ordinary not-found page (no
 * login prompt): as the admin routes answer 404, the page does not say it exists.
 */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  if (user === undefined) return <Loading />;
  if (user?.role !== 'admin') return <NotFoundPage />;
  return <>{children}</>;
}
