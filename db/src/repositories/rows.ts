/** Small helpers for raw query results, shared by the repositories (pg and PGlite shapes alike). */
export type Row = Record<string, any>;

export const rowsOf = (r: unknown): Row[] => (r as { rows: Row[] }).rows;

export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Rows a raw DELETE/UPDATE touched: pg reports rowCount, PGlite affectedRows. */
export const affectedRows = (r: unknown): number =>
  Number((r as { rowCount?: number }).rowCount ?? (r as { affectedRows?: number }).affectedRows ?? 0);
