import { describe, expect, it } from 'vitest';
import { isDependencyUnavailable } from './dependency-errors';

describe('isDependencyUnavailable', () => {
  it('recognises unreachable Postgres and Redis, and nothing else', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const yes = [
      refused,
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' }),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('The client is closed'), { name: 'ClientClosedError' }),
      new AggregateError([refused], 'connect failed'),
      new Error('wrapped', { cause: refused }),
    ];
    const no = [
      new Error('boom'),
      Object.assign(new Error('duplicate key value'), { code: '23505' }),
      Object.assign(new Error('syntax error'), { code: '42601' }),
      null,
      'ECONNREFUSED',
    ];
    expect(yes.map(isDependencyUnavailable)).toEqual(yes.map(() => true));
    expect(no.map(isDependencyUnavailable)).toEqual(no.map(() => false));
  });
});
