import { Component, type ErrorInfo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * A page that throws while rendering (or whose lazily loaded code cannot be fetched, as after a
 * redeploy replaced the hashed chunk files) shows a message and a way on instead of a blank page.
 * `resetKey` (the route's path) clears the error when the person goes to another page.
 */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    // The browser console is the only place this goes; no page text or personal data is sent anywhere.
    console.warn('[parley] page failed to render:', error.message, info.componentStack?.split('\n')[1]?.trim());
  }

  override componentDidUpdate(prev: { resetKey?: string }): void {
    if (this.state.error && prev.resetKey !== this.props.resetKey) this.setState({ error: null });
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return <ErrorFallback error={this.state.error} onRetry={() => this.setState({ error: null })} />;
  }
}

/**
 * A lazy chunk that failed to load: Chromium "Failed to fetch dynamically imported module", Firefox
 * "error loading dynamically imported module", Safari "Importing a module script failed", Vite's
 * CSS preload "Unable to preload CSS".
 */
export function isChunkLoadError(error: Error): boolean {
  return (
    error.name === 'ChunkLoadError' ||
    /dynamically imported module|Importing a module script failed|Unable to preload CSS/i.test(error.message)
  );
}

function ErrorFallback({ error, onRetry }: { error: Error; onRetry: () => void }) {
  const { t } = useTranslation();
  const chunk = isChunkLoadError(error);
  return (
    <div className="card error-page" role="alert" data-testid="error-boundary">
      <h1>{chunk ? t('errorPage.updatedTitle') : t('errorPage.title')}</h1>
      <p>{chunk ? t('errorPage.updatedText') : t('errorPage.text')}</p>
      <div className="button-row">
        {chunk ? (
          // The new build's index.html names the new chunks: only a full reload finds them.
          <button type="button" className="button button-primary" onClick={() => window.location.reload()}>
            {t('errorPage.reload')}
          </button>
        ) : (
          <button type="button" className="button button-primary" onClick={onRetry}>
            {t('common.tryAgain')}
          </button>
        )}
        {/* A plain link (full load), so a broken in-memory state does not follow. */}
        <a className="button" href="/">
          {t('errorPage.home')}
        </a>
      </div>
    </div>
  );
}
