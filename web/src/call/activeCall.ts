import { useSyncExternalStore } from 'react';

/**
 * Whether a call is live in this tab, and on which page, so the header can show a badge (and lead
 * back to it) while the caller looks at another page. The call page is the only writer.
 */
let active: { path: string } | null = null;
const listeners = new Set<() => void>();

export function setActiveCall(next: { path: string } | null) {
  if (active?.path === next?.path) return;
  active = next;
  for (const l of listeners) l();
}

export function useActiveCall(): { path: string } | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => active,
    () => null,
  );
}
