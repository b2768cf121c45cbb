import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationSummary } from '../api/conversations';
import { fetchStub } from '../../test/fixtures';
import { HistoryList, PAGE_SIZE } from './HistoryList';

const item = (n: number, extra: Partial<ConversationSummary> = {}): ConversationSummary => ({
  id: `c-${n}`,
  title: `Conversation ${n}`,
  createdAt: new Date(Date.UTC(2025, 0, 30 - n, 9)).toISOString(),
  startedAt: new Date(Date.UTC(2025, 0, 30 - n, 9)).toISOString(),
  endedAt: new Date(Date.UTC(2025, 0, 30 - n, 9, 1, 5)).toISOString(),
  durationMs: 65_000,
  turnCount: 4,
  snippet: null,
  highlights: [],
  snippetHtml: null,
  ...extra,
});

function renderList(url = '/history') {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <HistoryList />
    </MemoryRouter>,
  );
}

describe('<HistoryList>', () => {
  let stub: ReturnType<typeof fetchStub>;
  beforeEach(() => {
    stub = fetchStub({
      'GET /api/conversations': (url) => {
        const q = url.searchParams.get('q');
        if (q) {
          return {
            body: {
              conversations: [
                item(7, {
                  snippet: 'we talked about tides and <img src=x onerror=alert(1)> moons',
                  highlights: [[16, 21]],
                }),
              ],
              nextCursor: null,
            },
          };
        }
        return url.searchParams.get('cursor') === 'page-2'
          ? { body: { conversations: [item(3), item(4)], nextCursor: null } }
          : { body: { conversations: [item(1), item(2)], nextCursor: 'page-2' } };
      },
    });
    vi.stubGlobal('fetch', stub.fn);
  });

  it('loads the first page and appends the next with "Load more" until there is none', async () => {
    const user = userEvent.setup();
    renderList();
    expect(await screen.findByText('Conversation 1')).toBeInTheDocument();
    expect(stub.calls[0]!.url.searchParams.get('limit')).toBe(String(PAGE_SIZE));
    expect(stub.calls[0]!.url.searchParams.has('cursor')).toBe(false);

    await user.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('Conversation 4')).toBeInTheDocument();
    expect(stub.calls[1]!.url.searchParams.get('cursor')).toBe('page-2');
    const links = screen.getAllByRole('link').map((a) => a.getAttribute('href'));
    expect(links).toEqual(['/history/c-1', '/history/c-2', '/history/c-3', '/history/c-4']);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('searches with the words and date range, and renders highlights as text without injecting HTML', async () => {
    const user = userEvent.setup();
    const { container } = renderList();
    await screen.findByText('Conversation 1');
    await user.type(screen.getByLabelText('Search'), 'tides');
    await user.type(screen.getByLabelText('From'), '2025-01-01');
    await user.type(screen.getByLabelText('To'), '2025-01-31');
    await user.click(screen.getByRole('button', { name: 'Search' }));

    const snippet = await screen.findByTestId('snippet');
    const sent = stub.calls.at(-1)!.url.searchParams;
    expect(sent.get('q')).toBe('tides');
    expect(new Date(sent.get('from')!).getTime()).toBe(new Date(2025, 0, 1).getTime());
    expect(new Date(sent.get('to')!).getTime()).toBe(new Date(2025, 0, 31, 23, 59, 59, 999).getTime());

    const marks = snippet.querySelectorAll('mark');
    expect([...marks].map((m) => m.textContent)).toEqual(['tides']);
    expect(container.querySelector('img')).toBeNull();
    expect(snippet).toHaveTextContent('we talked about tides and <img src=x onerror=alert(1)> moons');
    expect(screen.queryByText('Conversation 1')).toBeNull();
  });

  it('shows the server’s message when the list cannot load', async () => {
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'GET /api/conversations': () => ({
          status: 503,
          body: { error: { code: 'service_unavailable', message: 'The database is busy.' } },
        }),
      }).fn,
    );
    renderList();
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('The database is busy.')).toBeInTheDocument();
  });

  it('refuses a date range that ends before it starts', async () => {
    const user = userEvent.setup();
    renderList();
    await screen.findByText('Conversation 1');
    await user.type(screen.getByLabelText('From'), '2025-02-01');
    await user.type(screen.getByLabelText('To'), '2025-01-01');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Search' })).toBeDisabled());
    expect(screen.getByText('The start date is after the end date.')).toBeInTheDocument();
  });
});

it('renders the gateway’s highlight ranges over plain text as <mark>, with markup kept literal', async () => {
  const text = 'about tides and <img src=x onerror=alert(1)>';
  vi.stubGlobal(
    'fetch',
    fetchStub({
      'GET /api/conversations': () => ({
        body: { conversations: [item(1, { snippet: text, highlights: [[6, 11]] })], nextCursor: null },
      }),
    }).fn,
  );
  const { container } = renderList('/history?q=tides');
  const snippet = await screen.findByTestId('snippet');
  expect([...snippet.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['tides']);
  expect(snippet).toHaveTextContent(text);
  expect(container.querySelector('img')).toBeNull();
});

describe('<HistoryList> call states', () => {
  it('lists a call that never connected as such, dated by its creation, and a live call with a badge', async () => {
    const created = new Date(Date.UTC(2025, 0, 20, 9)).toISOString();
    vi.stubGlobal(
      'fetch',
      fetchStub({
        'GET /api/conversations': () => ({
          body: {
            conversations: [
              item(1, {
                title: null,
                startedAt: null,
                endedAt: created,
                createdAt: created,
                durationMs: null,
                turnCount: 0,
              }),
              item(2, { title: 'Still talking', endedAt: null, durationMs: null }),
            ],
            nextCursor: null,
          },
        }),
      }).fn,
    );
    renderList();
    const [never, live] = (await screen.findAllByRole('listitem')) as [HTMLElement, HTMLElement];
    expect(never).toHaveTextContent('Call that did not connect');
    expect(never).toHaveTextContent('Did not connect');
    expect(never).not.toHaveTextContent('Untitled');
    expect(never).not.toHaveTextContent('1970');
    expect(never.querySelector('time')?.getAttribute('datetime')).toBe(created);
    expect(within(live).getByText('In progress')).toBeInTheDocument();
  });
});
