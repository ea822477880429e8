-- pol approvals on Redis: create (with the per-agent pending cap), compare-and-set transitions,
-- and the findApproved index lookup, each atomic. Loaded by runtime/store/redis.ts, which decides
-- every transition with rules.ts and only asks this script to apply it if nothing changed meanwhile.
--
-- Keys: the approvals hash (id -> record JSON), the creation counter, the all-approvals index
-- (zset by createdAt, member "<seq hex>:<id>"), a per-agent pending index (zset by expiresAt), a
-- per-call-hash approved index (zset by createdAt, member "<seq hex>:<id>"), the pending index
-- (zset by createdAt, member "<seq hex>:<id>"), and two counts that say whether it is complete.
--
-- The pending index came after the rest (2026-12): a process of an older pol creates approvals
-- without adding them. Creations by pols that keep the index are counted ("kept"), so the
-- creation counter minus "kept" is how many approvals older pols created; a reader that finds
-- that number above the one its last rebuild covered ("covered") rebuilds the index from the
-- whole history first (redis.ts RedisApprovals.pendingIndex). New creations move neither
-- number, so the index stays complete however many land during a rebuild. Entries left by an
-- older process's transitions are dropped by the reader, which checks each record's state anyway.
--
-- create: KEYS = hash, counter, all, pending(agent), pending index, kept;
--         ARGV = "create", channel, payload, id, JSON (its "seq" filled in here), createdAt,
--         expiresAt, cap ("" for none) -> "conflict" | "busy" | "ok"
-- cas:    KEYS = hash, pending(agent), approved(callHash), pending index; ARGV = "cas", channel,
--         payload, id, expected JSON, new JSON, new state, index member, createdAt
--         -> 1 | 0 (changed meanwhile)
-- find:   KEYS = hash, approved(callHash); ARGV = "find", now -> the oldest unexpired JSON or nil
-- cover:  KEYS = covered; ARGV = "cover", n -> raises it to n (a rebuild read every approval
--         that older pols had created when it began: n of them)

local mode = ARGV[1]

if mode == 'find' then
  local now = tonumber(ARGV[2])
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local json = redis.call('HGET', KEYS[1], string.sub(member, 18))
    if json and cjson.decode(json).expiresAt > now then return json end
  end
  return nil
end

if mode == 'cover' then
  local n = tonumber(ARGV[2])
  if (tonumber(redis.call('GET', KEYS[1])) or 0) < n then redis.call('SET', KEYS[1], n) end
  return 1
end

local channel, payload, id = ARGV[2], ARGV[3], ARGV[4]

if mode == 'create' then
  if redis.call('HEXISTS', KEYS[1], id) == 1 then return 'conflict' end
  local createdAt, expiresAt = ARGV[6], ARGV[7]
  if ARGV[8] ~= '' then
    -- Pending approvals expired as of this request no longer count, and leave the index.
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', createdAt)
    if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[8]) then return 'busy' end
  end
  local seq = redis.call('INCR', KEYS[2])
  local json = string.gsub(ARGV[5], '"seq":0', '"seq":' .. seq, 1)
  redis.call('HSET', KEYS[1], id, json)
  local member = string.format('%016x', seq) .. ':' .. id
  redis.call('ZADD', KEYS[3], createdAt, member)
  redis.call('ZADD', KEYS[4], expiresAt, id)
  redis.call('ZADD', KEYS[5], createdAt, member)
  redis.call('INCR', KEYS[6])
  redis.call('PUBLISH', channel, payload)
  return 'ok'
end

-- cas
if redis.call('HGET', KEYS[1], id) ~= ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], id, ARGV[6])
local state, member = ARGV[7], ARGV[8]
if state ~= 'pending' then redis.call('ZREM', KEYS[4], member) end
if state == 'approved' then
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[3], ARGV[9], member)
elseif state == 'rejected' then
  redis.call('ZREM', KEYS[2], id)
elseif state == 'consumed' then
  redis.call('ZREM', KEYS[3], member)
end
redis.call('PUBLISH', channel, payload)
return 1
