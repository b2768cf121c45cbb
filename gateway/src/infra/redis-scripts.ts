import { defineScript, type CommandParser } from 'redis';

/**
 * The gateway's Lua scripts, registered on every client (infra/redis.ts): node-redis sends each
 * one's SHA1 with EVALSHA and the script text only when the server answers NOSCRIPT.
 */
export const redisScripts = {
  /**
   * KeyValue.appendOnce in one atomic step (KEYS: list, seen set; ARGV: member, value, ttl ms): 1
   * when it appended. A list written before its seen set existed is indexed once from its items' `seq`.
   */
  appendOnce: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
if redis.call('EXISTS', KEYS[2]) == 0 then
  for _, v in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    local ok, item = pcall(cjson.decode, v)
    if ok and type(item) == 'table' and item.seq ~= nil then redis.call('SADD', KEYS[2], tostring(item.seq)) end
  end
end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`,
    parseCommand(parser: CommandParser, key: string, seenKey: string, member: string, value: string, ttlMs: number) {
      parser.pushKeys([key, seenKey]);
      parser.push(member, value, String(ttlMs));
    },
    transformReply: (reply: unknown) => reply === 1,
  }),
};
