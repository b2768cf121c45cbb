import { fireEvent, render, screen } from '@testing-library/react';
import { lazy, Suspense } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorBoundary } from './ErrorBoundary';

function Boom({ fail }: { fail: boolean }) {
  if (fail) throw new Error('render failed');
  return <p>page content</p>;
}

describe('ErrorBoundary', () => {
  afterEach(() => vi.restoreAllMocks());

  it('shows a recoverable message instead of a blank page, and "Try again" renders the page again', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined); // React reports the caught error
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const cause = { present: true };
    function Page() {
      return <Boom fail={cause.present} />;
    }
    render(
      <ErrorBoundary>
        <Page />
      </ErrorBoundary>,
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('This page ran into a problem');
    expect(screen.getByRole('link', { name: 'Go to the start page' }).getAttribute('href')).toBe('/');
    expect(screen.queryByText('page content')).toBeNull();
    // The cause went away (e.g. a passing network problem): trying again shows the page.
    cause.present = false;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(screen.getByText('page content')).toBeTruthy();
  });

  it('a lazy page whose chunk cannot be fetched (after a redeploy) offers a reload', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const reload = vi.fn();
    vi.spyOn(window, 'location', 'get').mockReturnValue({ ...window.location, reload });
    const Gone = lazy(() =>
      Promise.reject(new TypeError('Failed to fetch dynamically imported module: http://x/assets/CallPage-abc.js')),
    );
    render(
      <ErrorBoundary>
        <Suspense fallback={<p>loading</p>}>
          <Gone />
        </Suspense>
      </ErrorBoundary>,
    );
    expect((await screen.findByRole('alert')).textContent).toContain('Parley has been updated');
    fireEvent.click(screen.getByRole('button', { name: 'Reload the page' }));
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('clears the error when the route changes (resetKey)', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { rerender } = render(
      <ErrorBoundary resetKey="/a">
        <Boom fail />
      </ErrorBoundary>,
    );
    expect(screen.getByRole('alert')).toBeTruthy();
    rerender(
      <ErrorBoundary resetKey="/b">
        <Boom fail={false} />
      </ErrorBoundary>,
    );
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByText('page content')).toBeTruthy();
  });
});
