import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router-dom';

/** After client-side navigation, move focus to <main> so keyboard and screen-reader users start at the new page. */
export function RouteFocus() {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: false });
  }, [pathname]);
  return null;
}
