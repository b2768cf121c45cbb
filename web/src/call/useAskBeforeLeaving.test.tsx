import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Link, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useAskBeforeLeaving } from './useAskBeforeLeaving';

function CallLike({ live }: { live: boolean }) {
  useAskBeforeLeaving(live, 'Leave the call? It will end.');
  return (
    <div>
      <p>call page</p>
      <Link to="/history">History</Link>
      <Link to="/">Same page</Link>
    </div>
  );
}

function renderAt(live: boolean) {
  // MemoryRouter leaves window.location alone: jsdom stays at "/", so "/" is this page for the check.
  return render(
    <MemoryRouter initialEntries={['/']}>
      <Routes>
        <Route path="/" element={<CallLike live={live} />} />
        <Route path="/history" element={<p>history page</p>} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('useAskBeforeLeaving', () => {
  afterEach(() => vi.restoreAllMocks());

  it('during a call, a link to another page asks; "Cancel" keeps the call page, "OK" leaves', () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true);
    renderAt(true);
    fireEvent.click(screen.getByRole('link', { name: 'History' }));
    expect(confirm).toHaveBeenCalledWith('Leave the call? It will end.');
    expect(screen.getByText('call page')).toBeTruthy();
    fireEvent.click(screen.getByRole('link', { name: 'History' }));
    expect(confirm).toHaveBeenCalledTimes(2);
    expect(screen.getByText('history page')).toBeTruthy();
  });

  it('asks the browser before unloading during a call, and not at all without one', () => {
    const confirm = vi.spyOn(window, 'confirm');
    const { unmount } = renderAt(true);
    const during = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(during);
    expect(during.defaultPrevented).toBe(true);
    unmount();

    renderAt(false);
    const after = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(after);
    expect(after.defaultPrevented).toBe(false);
    fireEvent.click(screen.getByRole('link', { name: 'History' }));
    expect(confirm).not.toHaveBeenCalled();
    expect(screen.getByText('history page')).toBeTruthy();
  });

  it('a link to the page itself does not ask', () => {
    const confirm = vi.spyOn(window, 'confirm');
    renderAt(true);
    fireEvent.click(screen.getByRole('link', { name: 'Same page' }));
    expect(confirm).not.toHaveBeenCalled();
  });

  it('the Back button during a call asks; "Cancel" stays, and the entry the call added goes when it ends', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false);
    const { rerender } = renderAt(true);
    // The call put an entry with the same address on top of the page's own.
    expect(window.history.state).toMatchObject({ parleyCallGuard: true });
    window.history.back();
    await waitFor(() => expect(confirm).toHaveBeenCalledWith('Leave the call? It will end.'));
    // "Cancel": the entry is back, the call page stays.
    await waitFor(() => expect(window.history.state).toMatchObject({ parleyCallGuard: true }));
    expect(screen.getByText('call page')).toBeTruthy();
    // The call ends on the page: the added entry is taken off, and nothing asks any more.
    rerender(
      <MemoryRouter initialEntries={['/']}>
        <Routes>
          <Route path="/" element={<CallLike live={false} />} />
        </Routes>
      </MemoryRouter>,
    );
    await waitFor(() => expect(window.history.state?.parleyCallGuard).toBeUndefined());
    expect(confirm).toHaveBeenCalledTimes(1);
  });
});
