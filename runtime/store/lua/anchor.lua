-- pol anchors on Redis: set a field only if it still holds what the caller read, so an anchor's
-- forward-only rule (rules.ts anchorAdvances, decided by runtime/store/redis.ts) holds under races.
-- KEYS[1] = the anchors hash; ARGV: name, expected value ("" when absent), new value -> 1 | 0.

if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
