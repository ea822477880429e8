-- pol runs on Redis (types.ts RunStore): a hash per run (v: version, n: call count, state: JSON,
-- exp: expiry in ms of the engine's clock) and a list of its calls (JSON). runtime/store/redis.ts
-- decides the next state with runs.ts and writes it only if the run is still the version it read.
-- KEYS[1] = the run's hash, KEYS[2] = its calls
-- ARGV 'get'                                   -> {} | {v, n, state, exp, call...}
-- ARGV 'put', v read ('' when none), reset ('1' when the run read had expired), state, call ('' none), exp, ttl ms -> 1 | 0

if ARGV[1] == 'get' then
  local h = redis.call('HMGET', KEYS[1], 'v', 'n', 'state', 'exp')
  if not h[1] then return {} end
  local out = redis.call('LRANGE', KEYS[2], 0, -1)
  table.insert(out, 1, h[4])
  table.insert(out, 1, h[3])
  table.insert(out, 1, h[2])
  table.insert(out, 1, h[1])
  return out
end

local cur = redis.call('HGET', KEYS[1], 'v') or ''
if cur ~= ARGV[2] then return 0 end
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[2])
  n = 0
end
if ARGV[5] ~= '' then
  redis.call('RPUSH', KEYS[2], ARGV[5])
  n = n + 1
end
redis.call('HSET', KEYS[1], 'v', tostring((tonumber(cur) or 0) + 1), 'n', tostring(n), 'state', ARGV[4], 'exp', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return 1
