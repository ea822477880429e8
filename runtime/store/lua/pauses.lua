-- pol pauses (the kill switch) on Redis: resume by id, else by pattern, atomically, and announce
-- every change on the channel so each replica's cache drops its pauses at once. Loaded by
-- runtime/store/redis.ts; pause ids and validation come from rules.ts.
--
-- KEYS[1] = the pauses hash (seq -> pause JSON), KEYS[2] = the id counter.
-- ARGV: mode ("pause" | "resume"), channel, then
--   pause:  the pause JSON without its id, -> returns the new seq;
--   resume: the id's seq ("" when the text is no id), the text as a pattern
--           -> returns the removed pauses' JSON, oldest first.

local mode, channel = ARGV[1], ARGV[2]
if mode == 'pause' then
  local seq = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], seq, ARGV[3])
  redis.call('PUBLISH', channel, 'pauses')
  return seq
end

local removed = {}
-- An id wins over a pattern that happens to look like one.
if ARGV[3] ~= '' then
  local json = redis.call('HGET', KEYS[1], ARGV[3])
  if json then removed[1] = { tonumber(ARGV[3]), json } end
end
if #removed == 0 then
  local flat = redis.call('HGETALL', KEYS[1])
  for j = 1, #flat, 2 do
    local p = cjson.decode(flat[j + 1])
    if p.pattern == ARGV[4] then removed[#removed + 1] = { tonumber(flat[j]), flat[j + 1] } end
  end
end
table.sort(removed, function(a, b) return a[1] < b[1] end)
local out = {}
for _, r in ipairs(removed) do
  redis.call('HDEL', KEYS[1], r[1])
  out[#out + 1] = tostring(r[1])
  out[#out + 1] = r[2]
end
if #out > 0 then redis.call('PUBLISH', channel, 'pauses') end
return out
