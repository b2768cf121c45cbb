import type { Knex } from 'knex';

/**
 * A finished conversation's turns kept as one JSON document (issue 15): reading all 500 turns of a
 * conversation as rows cost ≈ 1 ms of backend output and ≈ 1.2 ms of node parsing (500 rows × 9
 * columns), over the 2 ms target at p95. The document is a cache filled by the first whole read of
 * an ended conversation (UtterancesRepository.list). It is valid only while `turns` equals the
 * conversation's `turn_count`: utterances are only ever inserted, and each insert statement raises
 * turn_count by the rows it stored, so a turn stored after the document (a late spool replay) makes
 * it stale and the next read goes back to the rows. Its own table keeps conversations' rows (read by
 * every listing) as small as they are; the text is stored uncompressed (EXTERNAL) so a read does
 * not decompress it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE conversation_transcripts (
      conversation_id uuid PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
      turns integer NOT NULL,
      doc text NOT NULL
    )`);
  await knex.raw('ALTER TABLE conversation_transcripts ALTER COLUMN doc SET STORAGE EXTERNAL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE conversation_transcripts');
}
