import { useEffect } from 'react';

/**
 * While `active`, leaving the page asks first: a reload, closing the tab or going to another site
 * (the browser's own `beforeunload` dialog, which shows its own text), and a link to another page
 * of the app (which would unmount the call and end it) through `confirm(message)`. The link check
 * listens on the document in the capture phase, so it runs before React Router's click handler;
 * the router used here (BrowserRouter) has no navigation blocker of its own.
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
    window.addEventListener('beforeunload', ask);
    document.addEventListener('click', askOnLink, true);
    return () => {
      window.removeEventListener('beforeunload', ask);
      document.removeEventListener('click', askOnLink, true);
    };
  }, [active, message]);
}
