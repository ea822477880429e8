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

local once = KEYS[2] ~= nil
if once then
  local held = redis.call('GET', KEYS[2])
  if held and tonumber(held) > tonumber(ARGV[4]) then return 'claimed' end
end

local op, agent, value, now, initial = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local score, revoked = initial, false
local raw = redis.call('HGET', KEYS[1], agent)
local at = ''
if raw then
  local s, r, t = string.match(raw, '^([^|]*)|([01])|(.*)$')
  score, revoked, at = tonumber(s), r == '1', t
end

-- adjustOnce (rules.ts adjustOnceTrust): a score that would not move is not written nor announced
-- (every replica's cache keeps its trust); the claim is taken all the same.
if once and (value == 0 or (value > 0 and (revoked or score >= 100)) or (value < 0 and score <= 0)) then
  redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[8])
  return { string.format('%.17g', score), revoked and '1' or '0', at }
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
-- The claim after the change: a script that fails part way (Redis does not undo it) claims nothing.
if once then redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[8]) end
redis.call('PUBLISH', ARGV[6], 'trust')
return { text, flag, now }
