/**
 * The Lua scripts of the Redis store: refresh-token rotation with reuse detection, and revocation.
 *
 * Why Lua rather than WATCH/MULTI: rotation reads the family, decides, and writes several keys. A
 * script runs atomically inside Redis in one round trip, so two instances presenting the same token
 * at the same instant are simply serialised: one rotates, the other sees the rotation and gets the
 * grace answer. WATCH/MULTI would make the loser abort and retry (20 racing refreshes → many
 * retries), and node-redis needs a dedicated connection for each WATCH.
 *
 * Redis Cluster: every key a script touches carries the user's hash tag `{u:<user>}` (layout in
 * redis-store.ts), so all of them live in one slot, as a multi-key script on a cluster requires.
 * The token index (`tok:<hash>`, untagged) is read and written outside the scripts.
 *
 * Expiry is Redis's own (PEXPIREAT/PX): an expired family simply no longer exists.
 */

/** Keeps a user's index (a sorted set scored by expiry) exactly as long as its last member. */
const KEEP_UNTIL_LAST = `
local function keepUntilLast(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', key, last[2]) end
end
`;

/** A session: its family hash and the user's session index, if the user is under the cap. */
export const CREATE_SCRIPT = `${KEEP_UNTIL_LAST}
-- KEYS[1] fam:<id>  KEYS[2] sessions
-- ARGV[1] user  ARGV[2] family end  ARGV[3] token hash  ARGV[4] token expiry  ARGV[5] now  ARGV[6] cap  ARGV[7] family id
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then return 'limit_reached' end
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'exp', ARGV[2], 'cur', ARGV[3], 'curExp', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[7])
keepUntilLast(KEYS[2])
return 'created'
`;

export const ROTATE_SCRIPT = `${KEEP_UNTIL_LAST}
-- KEYS[1] fam:<id>  KEYS[2] rotated:<id>  KEYS[3] sealed:<id>  KEYS[4] sessions
-- ARGV[1] presented hash  ARGV[2] successor hash  ARGV[3] sealed successor
-- ARGV[4] now (ms)  ARGV[5] refresh TTL (ms)  ARGV[6] grace (ms)  ARGV[7] rotated tokens kept
-- ARGV[8] family id
local now = tonumber(ARGV[4])
local fam = redis.call('HMGET', KEYS[1], 'user', 'exp', 'cur', 'curExp')
local user, famExp, cur, curExp = fam[1], fam[2], fam[3], fam[4]
if not user then return {'invalid'} end

if cur == ARGV[1] then
  -- The presented token is current: rotate it (RFC 9700 §4.14.2).
  local exp = string.format('%d', math.min(now + tonumber(ARGV[5]), tonumber(famExp)))
  -- prev/prevExp let a lost answer be undone (UNDO_SCRIPT); 'graceOut' counts grace answers
  -- carrying the current token that were not reported lost, 'undoWaiting' an undo held back by one.
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'curExp', exp, 'prev', ARGV[1], 'prevExp', curExp)
  redis.call('HDEL', KEYS[1], 'graceOut', 'undoWaiting')
  -- The family lives as long as its current token: an abandoned session leaves nothing behind.
  redis.call('PEXPIREAT', KEYS[1], exp)
  -- Score: rotation time (ms) × 1000 + a per-session counter, so ZPOPMIN drops the oldest even
  -- when several rotations share a millisecond (ties would go by hash otherwise).
  local n = redis.call('HINCRBY', KEYS[1], 'n', 1) % 1000
  redis.call('ZADD', KEYS[2], string.format('%d', now * 1000 + n), ARGV[1])
  redis.call('PEXPIREAT', KEYS[2], exp)
  redis.call('ZADD', KEYS[4], exp, ARGV[8])
  keepUntilLast(KEYS[4])
  if tonumber(ARGV[6]) > 0 then
    redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[6])
  else
    redis.call('DEL', KEYS[3])
  end
  -- Only the newest rotated tokens are remembered for reuse detection; older ones are forgotten.
  local reply = {'rotated', user, exp}
  local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[7])
  if excess > 0 then
    for _, forgotten in ipairs(redis.call('ZPOPMIN', KEYS[2], excess)) do table.insert(reply, forgotten) end
  end
  return reply
end

local rotatedAt = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not rotatedAt then return {'invalid'} end
-- Presented again after its rotation. Within the grace window the answer is the family's
-- newest token (kept sealed for the window), never an older one that was rotated since.
local sealed = redis.call('GET', KEYS[3])
if math.floor(tonumber(rotatedAt) / 1000) + tonumber(ARGV[6]) > now and sealed then
  redis.call('HINCRBY', KEYS[1], 'graceOut', 1)
  return {'grace', user, curExp, cur, sealed}
end
-- Outside the grace window: revoke the family; the caller forgets its tokens' index entries.
local reply = {'reused', user, cur}
for _, hash in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do table.insert(reply, hash) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[8])
return reply
`;

export const REVOKE_SCRIPT = `
-- KEYS[1] fam:<id>  KEYS[2] rotated:<id>  KEYS[3] sealed:<id>  KEYS[4] sessions
-- ARGV[1] family id
-- Returns every token hash of the family, so the caller can drop their index entries.
local cur = redis.call('HGET', KEYS[1], 'cur')
local hashes = redis.call('ZRANGE', KEYS[2], 0, -1)
if cur then table.insert(hashes, cur) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return hashes
`;

/** Makes the token the current one replaced current again (KEYS as in UNDO_SCRIPT). */
const UNDO = `${KEEP_UNTIL_LAST}
local function undo(prev, prevExp, familyId)
  redis.call('HSET', KEYS[1], 'cur', prev, 'curExp', prevExp)
  redis.call('HDEL', KEYS[1], 'prev', 'prevExp', 'graceOut', 'undoWaiting')
  redis.call('PEXPIREAT', KEYS[1], prevExp)
  redis.call('ZREM', KEYS[2], prev)
  redis.call('DEL', KEYS[3])
  redis.call('ZADD', KEYS[4], prevExp, familyId)
  keepUntilLast(KEYS[4])
  return 1
end
`;

export const UNDO_SCRIPT = `${UNDO}
-- KEYS[1] fam:<id>  KEYS[2] rotated:<id>  KEYS[3] sealed:<id>  KEYS[4] sessions
-- ARGV[1] presented hash  ARGV[2] successor hash  ARGV[3] family id
-- Takes back a rotation whose answer was lost, unless the successor was used since, or a grace
-- answer carrying it is out: then the undo waits for that answer to be reported lost (GRACE_LOST_SCRIPT).
local fam = redis.call('HMGET', KEYS[1], 'cur', 'prev', 'prevExp', 'graceOut')
if fam[1] ~= ARGV[2] or fam[2] ~= ARGV[1] then return 0 end
if tonumber(fam[4] or '0') > 0 then
  redis.call('HSET', KEYS[1], 'undoWaiting', '1')
  return 0
end
return undo(fam[2], fam[3], ARGV[3])
`;

export const GRACE_LOST_SCRIPT = `${UNDO}
-- KEYS as UNDO_SCRIPT  ARGV[1] successor hash  ARGV[2] family id
-- A grace answer carrying the current token was lost; the last one out runs a waiting undo.
local fam = redis.call('HMGET', KEYS[1], 'cur', 'prev', 'prevExp', 'graceOut', 'undoWaiting')
if fam[1] ~= ARGV[1] or tonumber(fam[4] or '0') == 0 then return 0 end
local out = redis.call('HINCRBY', KEYS[1], 'graceOut', -1)
if out > 0 or not fam[5] or not fam[2] then return 0 end
return undo(fam[2], fam[3], ARGV[2])
`;

/** An idempotency claim, if the key is new and the user is under the cap; else the existing record. */
export const CLAIM_SCRIPT = `
-- KEYS[1] idem:<key>  KEYS[2] idem-keys (zset key → expiry)
-- ARGV[1] record (JSON, in flight)  ARGV[2] in-flight TTL (ms)  ARGV[3] now  ARGV[4] cap  ARGV[5] key
local existing = redis.call('GET', KEYS[1])
if existing then return {'exists', existing} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return {'limit_reached'} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], string.format('%d', tonumber(ARGV[3]) + tonumber(ARGV[2])), ARGV[5])
-- The index lives at least as long as this claim (PTTL is negative for a key without expiry).
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return {'claimed'}
`;

/**
 * A post, if the user is under the cap; posts older than the TTL are trimmed first. With KEYS[2..3],
 * the Idempotency-Key it answers is completed in the same step (a lost answer leaves both or neither).
 */
export const ADD_POST_SCRIPT = `
-- KEYS[1] posts (stream; entry ids are Redis's clock in ms)  ARGV[1] post JSON  ARGV[2] TTL (ms)  ARGV[3] cap
-- optional: KEYS[2] idem:<key>  KEYS[3] idem-keys  ARGV[4] record JSON  ARGV[5] record TTL (ms)  ARGV[6] key
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d', now - tonumber(ARGV[2])))
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 'limit_reached' end
redis.call('XADD', KEYS[1], '*', 'post', ARGV[1], 'exp', string.format('%d', now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
  redis.call('ZADD', KEYS[3], string.format('%d', now + tonumber(ARGV[5])), ARGV[6])
  if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[3], ARGV[5]) end
end
return 'added'
`;

/** One failed login against a throttle key; the backoff is loginDelayMs (throttle.ts) in Lua. */
export const LOGIN_FAILURE_SCRIPT = `
-- KEYS[1] throttle:<key> (hash n, until)  ARGV[1] now  ARGV[2] free attempts  ARGV[3] base delay
-- ARGV[4] max delay  ARGV[5] forget after (ms)
local now = tonumber(ARGV[1])
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local forget = now + tonumber(ARGV[5])
if n >= tonumber(ARGV[2]) then
  local exponent = math.min(n - tonumber(ARGV[2]), 30)
  local blockedUntil = now + math.min(tonumber(ARGV[3]) * 2 ^ exponent, tonumber(ARGV[4]))
  redis.call('HSET', KEYS[1], 'until', string.format('%d', blockedUntil))
  forget = math.max(forget, blockedUntil)
end
redis.call('PEXPIREAT', KEYS[1], string.format('%d', forget))
return n
`;
