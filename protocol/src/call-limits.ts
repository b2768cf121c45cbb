/**
 * A call's limit as the page sees it (issue 22): the agent serving a call with a limit sets these
 * attributes on its LiveKit participant, both ISO 8601 instants by the agent's clock. From
 * `warn at` the page shows a countdown to `ends at`, when the agent ends the call with
 * `limit_reached`; the agent also says so then, in the caller's language. Kept free of zod (the
 * call page imports it).
 */
export const CALL_ENDS_AT_ATTRIBUTE = 'parley.call_ends_at';
export const CALL_WARN_AT_ATTRIBUTE = 'parley.call_warn_at';

/** How long before a call's limit the agent warns by default (the gateway's LIMIT_WARNING_SECONDS). */
export const DEFAULT_LIMIT_WARNING_SECONDS = 60;
