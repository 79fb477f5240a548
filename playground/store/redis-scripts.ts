/**
 * The one Lua script of the Redis store: refresh-token rotation with reuse detection.
 *
 * Why Lua rather than WATCH/MULTI: rotation reads the presented token, decides, and writes up to
 * four keys. A script runs atomically inside Redis in one round trip, so two instances presenting
 * the same token at the same instant are simply serialised: one rotates, the other sees the
 * rotation and gets the grace answer. WATCH/MULTI would make the loser abort and retry (20 racing
 * refreshes → many retries), and node-redis needs a dedicated connection for each WATCH.
 *
 * Keys (layout in redis-store.ts): `rt:<hash>` a hash {user, fam, exp, succ}; `fam:<id>` a hash
 * {user, exp}; `grace:<hash>` the sealed successor. The family and successor keys are derived
 * inside the script, which is fine on one Redis; Redis Cluster would need hash tags.
 *
 * Expiry is Redis's own (PEXPIREAT/PX): an expired token or family simply no longer exists.
 */

export const ROTATE_SCRIPT = `
-- KEYS[1] rt:<presented>  KEYS[2] rt:<successor>  KEYS[3] grace:<presented>
-- ARGV[1] key prefix  ARGV[2] successor hash  ARGV[3] sealed successor
-- ARGV[4] now (ms)  ARGV[5] refresh TTL (ms)  ARGV[6] grace (ms)
local record = redis.call('HMGET', KEYS[1], 'user', 'fam', 'succ')
local user, fam, succ = record[1], record[2], record[3]
if not user then return {'invalid'} end
local famKey = ARGV[1] .. 'fam:' .. fam
local famExp = redis.call('HGET', famKey, 'exp')

if not succ then
  -- The presented token is current: rotate it (RFC 9700 §4.14.2).
  if not famExp then return {'invalid'} end
  local exp = math.min(tonumber(ARGV[4]) + tonumber(ARGV[5]), tonumber(famExp))
  local expText = string.format('%d', exp)
  redis.call('HSET', KEYS[2], 'user', user, 'fam', fam, 'exp', expText)
  redis.call('PEXPIREAT', KEYS[2], expText)
  -- HSET keeps the old record's own expiry: it stays around for reuse detection until then.
  redis.call('HSET', KEYS[1], 'succ', ARGV[2])
  if tonumber(ARGV[6]) > 0 then
    redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[6])
  end
  return {'rotated', user, fam, expText}
end

-- Presented again after its rotation.
if not famExp then return {'reused', user, fam, '0'} end
local sealed = redis.call('GET', KEYS[3])
local succExp = redis.call('HGET', ARGV[1] .. 'rt:' .. succ, 'exp')
if sealed and succExp then return {'grace', user, fam, succExp, sealed} end
-- Outside the grace window: dropping the family invalidates every descendant at once.
redis.call('DEL', famKey, KEYS[3])
return {'reused', user, fam, '1'}
`;
