import { useEffect } from 'react';

/** Marks the history entry the call page adds on top of its own, so the Back button can be asked about. */
const GUARD = 'parleyCallGuard';
let guards = 0;
const onGuard = () => Boolean((window.history.state as Record<string, unknown> | null)?.[GUARD]);
const pushGuard = () =>
  window.history.pushState({ ...(window.history.state as object | null), [GUARD]: true }, '', window.location.href);

/**
 * While `active`, leaving the page asks first: a reload, closing the tab or going to another site
 * (the browser's own `beforeunload` dialog, which shows its own text), a link to another page
 * of the app (which would unmount the call and end it) and the browser's Back button, both through
 * `confirm(message)`. The link check listens on the document in the capture phase, so it runs before
 * React Router's click handler; the router used here (BrowserRouter) has no navigation blocker of its own.
 * Back: the call adds a history entry with the same address on top of the page's own; Back pops it
 * (the router sees the same path and keeps the page), and the question follows — "Cancel" puts the
 * entry back, "OK" goes back once more, for real. When the call ends on the page, the entry is taken
 * off again so Back is not pressed twice for nothing. A jump of several entries at once (the Back
 * button's long-press menu) lands elsewhere first and is not asked about.
 */
export function useAskBeforeLeaving(active: boolean, message: string): void {
  useEffect(() => {
    if (!active) return;
    const ask = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    const askOnLink = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
      if (!(a instanceof HTMLAnchorElement) || a.target === '_blank' || a.hasAttribute('download')) return;
      const to = new URL(a.href, window.location.href);
      if (to.origin !== window.location.origin || to.pathname === window.location.pathname) return;
      if (window.confirm(message)) return;
      e.preventDefault();
      e.stopPropagation();
    };
    const here = window.location.href;
    let leaving = false;
    const askOnBack = () => {
      if (leaving || onGuard() || window.location.href !== here) return;
      if (window.confirm(message)) {
        leaving = true;
        window.history.back();
      } else pushGuard();
    };
    guards++;
    if (!onGuard()) pushGuard();
    window.addEventListener('beforeunload', ask);
    window.addEventListener('popstate', askOnBack);
    document.addEventListener('click', askOnLink, true);
    return () => {
      guards--;
      window.removeEventListener('beforeunload', ask);
      window.removeEventListener('popstate', askOnBack);
      document.removeEventListener('click', askOnLink, true);
      // Still on the entry the call added (the call ended here, not by leaving): take it off. Deferred, so
      // an effect that runs again at once (React's development double run) keeps it.
      if (!leaving)
        setTimeout(() => {
          if (guards === 0 && onGuard()) window.history.back();
        }, 0);
    };
  }, [active, message]);
}
