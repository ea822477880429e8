-- pol trust scores on Redis: adjust, set and restore as one atomic read-modify-write, so
-- concurrent adjustments from any number of processes add up. Loaded by runtime/store/redis.ts;
-- the arithmetic is rules.ts adjustTrust/setTrust/restoreTrust (which already validated the input).
--
-- KEYS[1] = the trust hash (agent id -> "score|revoked|updatedAt"); KEYS[2], for adjustOnce, the
-- claim's key.
-- ARGV: op ("adjust" | "set" | "restore"), agent id, delta or score, now, initial score, channel;
-- for adjustOnce (op "adjust" with KEYS[2]), the time the claim is kept until and its lifetime in ms.
-- Returns {score, revoked ("1" | "0"), updatedAt} as text, or "claimed" when KEYS[2] is held as
-- of now (nothing changed); publishes "trust" on the channel so every replica's cache re-reads.
-- A claim holds until its time by the caller's clock, as in every store (types.ts); its key
-- expires by itself after its lifetime, so claims never pile up.

if KEYS[2] then
  local held = redis.call('GET', KEYS[2])
  if held and tonumber(held) > tonumber(ARGV[4]) then return 'claimed' end
  redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[8])
end

local op, agent, value, now, initial = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local score, revoked = initial, false
local raw = redis.call('HGET', KEYS[1], agent)
if raw then
  local s, r = string.match(raw, '^([^|]*)|([01])|')
  score, revoked = tonumber(s), r == '1'
end
if op == 'adjust' then
  score = math.min(100, math.max(0, score + value))
  revoked = revoked or score == 0
elseif op == 'set' then
  score = value
  revoked = revoked or score == 0
else
  score = value
  revoked = false
end
local text = string.format('%.17g', score)
local flag = revoked and '1' or '0'
redis.call('HSET', KEYS[1], agent, text .. '|' .. flag .. '|' .. now)
redis.call('PUBLISH', ARGV[6], 'trust')
return { text, flag, now }
