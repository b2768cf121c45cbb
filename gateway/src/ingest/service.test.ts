import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '@parley/db';
import type { ServerMessage } from '@parley/protocol';
import { createTestDatabase, type TestDatabase } from '@parley/testkit';
import { CallDirectory } from '../calls/directory';
import { utterance } from '@parley/testkit/calls';
import { LocalBus } from '../infra/bus';
import { MemoryKeyValue } from '../infra/kv';
import { transcriptChannel } from '../transcripts/channel';
import { ingestBatch } from './service';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

/** A bus whose publishes fail while `down` is set (Redis restarting). */
class FlakyBus extends LocalBus {
  down = false;
  override async publish(channel: string, message: string) {
    if (this.down) throw new Error('Redis connection lost');
    await super.publish(channel, message);
  }
}

describe('ingestBatch when publishing fails after the store succeeded', () => {
  it('delivers on the retry what live clients missed', async () => {
    const [u] = await t
      .db('users')
      .insert({ email: 'f@example.com', password_hash: 'x', display_name: 'F' })
      .returning(['id']);
    const id = randomUUID();
    const repos = createRepositories(t.db);
    await repos.conversations.create({ id, userId: u.id, room: `parley-${id}`, language: 'en' });
    const directory = new CallDirectory(repos, new MemoryKeyValue());
    const bus = new FlakyBus();
    const seen: ServerMessage[] = [];
    await bus.subscribe(transcriptChannel(id), (m) => seen.push(JSON.parse(m)));
    const call = (await directory.find(id))!;
    const batch = [
      { type: 'utterance' as const, utterance: utterance(0) },
      { type: 'call_ended' as const, at: new Date().toISOString(), reason: 'agent_ended' as const },
    ];

    bus.down = true;
    await expect(ingestBatch(directory, bus, call, batch)).rejects.toThrow();
    expect(seen).toEqual([]);
    bus.down = false;
    // The agent retries the same batch: stored already, yet published now.
    expect(await ingestBatch(directory, bus, call, batch)).toEqual({ accepted: 1, duplicates: 1, ended: true });
    // A signed-in user's utterance: once while its write runs (found stored), once after.
    expect(seen.map((m) => m.type)).toEqual(['utterance', 'utterance', 'call_ended']);
    expect(seen[2]).toMatchObject({ reason: 'agent_ended' });
    expect(await t.db('utterances').where({ conversation_id: id }).count({ n: '*' }).first()).toEqual({ n: '1' });
  });
});

describe("ingestBatch when a signed-in user's utterance write fails after its early publish", () => {
  it('answers with the error (the agent retries); the retry stores it once and publishes it again as the same message', async () => {
    const [u] = await t
      .db('users')
      .insert({ email: 'w@example.com', password_hash: 'x', display_name: 'W' })
      .returning(['id']);
    const id = randomUUID();
    const repos = createRepositories(t.db);
    await repos.conversations.create({ id, userId: u.id, room: `parley-${id}`, language: 'en' });
    const insert = repos.utterances.insert.bind(repos.utterances);
    let failNext = true;
    repos.utterances.insert = async (...args) => {
      if (!failNext) return insert(...args);
      failNext = false;
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    };
    const directory = new CallDirectory(repos, new MemoryKeyValue());
    const bus = new LocalBus();
    const seen: string[] = [];
    await bus.subscribe(transcriptChannel(id), (m) => seen.push(m));
    const call = (await directory.find(id))!;
    const batch = [{ type: 'utterance' as const, utterance: utterance(0) }];

    await expect(ingestBatch(directory, bus, call, batch)).rejects.toThrow('Connection terminated');
    // Live sockets saw it before the write failed; nothing is stored.
    expect(seen.map((m) => JSON.parse(m).utterance.seq)).toEqual([0]);
    expect(await t.db('utterances').where({ conversation_id: id }).count({ n: '*' }).first()).toEqual({ n: '0' });

    expect(await ingestBatch(directory, bus, call, batch)).toEqual({ accepted: 1, duplicates: 0, ended: false });
    // Early, then after the commit: one message each time, byte for byte (the socket drops the second).
    expect(seen).toHaveLength(3);
    expect(seen[2]).toBe(seen[1]);
    expect(JSON.parse(seen[1]!).utterance).toEqual(utterance(0));
    expect(await t.db('utterances').where({ conversation_id: id }).count({ n: '*' }).first()).toEqual({ n: '1' });
  });
});
