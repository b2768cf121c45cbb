import { afterAll, beforeAll } from 'vitest';
import { createDatabase } from '@parley/db';
import { userWithCall } from './accounts';
import { TEST_PG_ADMIN_URL, createTestDatabase } from './db';
import { startTestGateway, type TestGateway } from './gateway';
import type { TestClient } from './http-client';

/**
 * What the agent-ingest tests share, whichever door the batches take (the signed POST route or the
 * ingest stream): one real gateway for the test file, a signed-in user's call on it, and the rows
 * stored for a call.
 */
export function ingestFixture() {
  let gateway: TestGateway | undefined;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => gateway?.stop());
  const gw = () => {
    if (!gateway) throw new Error('ingestFixture: the gateway starts in beforeAll');
    return gateway;
  };
  return {
    gw,
    /** A signed-in user with a call made through POST /api/calls. */
    userCall: (): Promise<{ c: TestClient; id: string }> => userWithCall(gw()),
    /** The call's stored utterances in seq order, these columns only. */
    rows: (id: string, columns: string[] = ['seq', 'text']) =>
      gw().database.db('utterances').where({ conversation_id: id }).orderBy('seq').select(columns),
  };
}

/**
 * A gateway of its own with a signed-in user's call, whose database is dropped under it while it
 * runs (storage down); `work` runs against it, then it is closed.
 */
export async function withDatabaseGone(work: (gw: TestGateway, conversationId: string) => Promise<void>) {
  const database = await createTestDatabase();
  const lone = await startTestGateway({ database });
  try {
    const { id } = await userWithCall(lone);
    const admin = createDatabase({ url: TEST_PG_ADMIN_URL, poolMax: 1 });
    await admin.raw(`DROP DATABASE ${database.name} WITH (FORCE)`);
    await admin.destroy();
    await work(lone, id);
  } finally {
    await lone.close();
    await database.drop().catch(() => undefined);
  }
}
