import { useEffect, useState, type DependencyList } from 'react';
import { errorMessage } from '../api/client';

/**
 * What `load` answers, loaded again whenever `deps` change; an answer that arrives after a newer
 * load started (or after unmount) is dropped. `error` is the message of a failed load.
 */
export function useLoaded<T>(load: () => Promise<T>, deps: DependencyList): { data: T | null; error: string | null } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    load()
      .then((d) => live && setData(d))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
    // The caller names what the load depends on, as with useEffect.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { data, error };
}
