import type { Knex } from 'knex';

/**
 * History search over several words (issue 15). The GIN index on utterances.tsv keys every word
 * across all users, so "garden tomorrow" intersected two whole-table posting lists (~20,000 turns
 * each at 1,000,000 utterances) to find the 33 turns of one user: 1.2 ms in the index alone
 * (EXPLAIN ANALYZE). This index keys each word of a turn with its owner's bucket: the first two hex
 * digits of the user id (256 buckets; user ids are random v4 UUIDs), so the intersection walks the
 * posting lists of one bucket only (0.14 ms for the same query), at 86 MB for a million turns
 * against 47 MB for the tsv index. A bucket rather than the whole id keeps the number of keys, and
 * the index, small; turns of other users in the same bucket are removed by the query's recheck.
 *
 * parley_query_terms gives the keys every match must hold for a websearch tsquery that is an AND
 * (or phrase) of lexemes; with an OR or a NOT it gives the empty array (no filter), and with no
 * lexemes NULL (no match, as the tsquery matches nothing either). Plain SQL: runs on PGlite too.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION parley_bucket_terms(uid uuid, t tsvector) RETURNS text[]
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $$ SELECT ARRAY(SELECT left(uid::text, 2) || lex FROM unnest(tsvector_to_array(t)) AS lex) $$`);
  // Lexemes are quoted in tsquery text with ' and \\ doubled.
  await knex.raw(`
    CREATE FUNCTION parley_query_terms(uid uuid, q tsquery) RETURNS text[]
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $$
        SELECT CASE
          WHEN regexp_replace(q::text, '''([^'']|'''')*''', '', 'g') ~ '[|!]' THEN '{}'::text[]
          ELSE NULLIF(ARRAY(
            SELECT left(uid::text, 2) || replace(replace(m[1], '''''', ''''), '\\\\', '\\')
            FROM regexp_matches(q::text, '''(([^'']|'''')*)''', 'g') AS m), '{}')
        END
      $$`);
  await knex.raw(
    'CREATE INDEX utterances_bucket_terms_idx ON utterances USING GIN (parley_bucket_terms(user_id, tsv))',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX utterances_bucket_terms_idx');
  await knex.raw('DROP FUNCTION parley_query_terms(uuid, tsquery)');
  await knex.raw('DROP FUNCTION parley_bucket_terms(uuid, tsvector)');
}
