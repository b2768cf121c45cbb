import type { Knex } from 'knex';
import type { Database } from '../connect';

/** Small helpers for raw query results, shared by the repositories (pg and PGlite shapes alike). */
export type Row = Record<string, any>;

export const rowsOf = (r: unknown): Row[] => (r as { rows: Row[] }).rows;

export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Rows a raw DELETE/UPDATE touched: pg reports rowCount, PGlite affectedRows. */
export const affectedRows = (r: unknown): number =>
  Number((r as { rowCount?: number }).rowCount ?? (r as { affectedRows?: number }).affectedRows ?? 0);

/**
 * Runs a constant statement as a named (prepared) statement on Postgres: node-postgres's query
 * config `name`, which knex hands through `.options()`. Each pooled connection parses and plans it
 * once, then only binds and executes it; PGlite ignores the name. One name per SQL text (node-postgres
 * refuses a name reused for other text). Only for statements whose plan suits every parameter value:
 * after five runs Postgres may keep one generic plan, which for a search planned by Postgres was 300–680 ms
 * instead of ~1 ms (EXPLAIN ANALYZE at 1,000,000 turns, docs/performance.md): searches are named only as
 * the two plain-word statements of history.ts, whose SQL fixes the plan.
 * `rowMode: 'array'` (both drivers) hands back each row as an array in column order: no object per row.
 */
export function prepared(
  db: Database,
  name: string,
  sql: string,
  bindings: readonly Knex.Value[],
  options: { rowMode?: 'array' } = {},
) {
  return db.raw(sql, bindings as Knex.Value[]).options({ name, ...options });
}
