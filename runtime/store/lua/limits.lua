-- pol limits on Redis: consume, peek and seed in one script, so a call's charges are decided and
-- recorded atomically (Redis runs a script alone). Loaded by runtime/store/redis.ts with EVALSHA.
-- It mirrors runtime/store/window.ts line for line (same doubles, same fold order), so every
-- back-end decides bit-for-bit alike; the conformance suite's reference model pins both.
--
-- KEYS: per charge i, KEYS[2i-1] = its bucket's events (zset: score = at, member = "<seq as 16 hex
--       digits>:<amount>", so equal times keep insertion order), KEYS[2i] = the bucket's meta hash
--       (seq: insertion counter, total: running sum, nonint: events whose amount is not a whole
--       number; see clearlyFits and quickCharge for what they are trusted with).
-- ARGV: mode ("consume" | "peek" | "seed"), now (for seed: the event time), keep-ms (PEXPIRE after
--       a consume), then per charge amount, max, windowMs. Numbers travel as text: "%.17g" (and
--       "inf") round-trips every double exactly, where Lua's tostring would drop digits.
-- Returns {"ok"} or {"denied", i, used, resetAt or "null"}.

local mode = ARGV[1]
local now = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local n = #KEYS / 2

local function num(s)
  if s == 'inf' then return math.huge end
  return tonumber(s)
end

local function fmt(x)
  if x == math.huge then return 'inf' end
  return string.format('%.17g', x)
end

local function amountOf(member)
  return tonumber(string.sub(member, 18))
end

local function totalOf(mk)
  return tonumber(redis.call('HGET', mk, 'total') or '0')
end

-- The bucket's events with at > now - windowMs, oldest first, as {at, amount} pairs.
local function inWindow(ek, windowMs)
  local flat = redis.call('ZRANGE', ek, '(' .. fmt(now - windowMs), '+inf', 'BYSCORE', 'WITHSCORES')
  local events = {}
  for j = 1, #flat, 2 do
    events[#events + 1] = { tonumber(flat[j + 1]), amountOf(flat[j]) }
  end
  return events
end

-- After every event at the same or an earlier time (window.ts insertSorted).
local function insertSorted(events, e)
  local lo, hi = 1, #events + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if events[mid][1] <= e[1] then lo = mid + 1 else hi = mid end
  end
  table.insert(events, lo, e)
end

-- window.ts checkCharge: nil when the charge fits, else used and resetAt (nil: never fits).
local function checkCharge(events, amount, max, windowMs)
  local count = #events
  local suffix = {}
  suffix[count + 1] = 0
  for j = count, 1, -1 do suffix[j] = suffix[j + 1] + events[j][2] end
  local used = suffix[1]
  if used + amount <= max then return nil end
  if amount > max then return used, nil end
  for j = 1, count do
    if suffix[j + 1] + amount <= max then return used, events[j][1] + windowMs end
  end
  return used, nil
end

-- The same answer as checkCharge without loading the bucket, when every amount in it is a whole
-- number (meta `nonint` = 0) and the total is below 2^53: then every sum is exact in any order, so
-- the running total is the fold, and resetAt needs only the oldest events, read a page at a time.
-- Without this a denied call on a full bucket of thousands of events would fold them all while
-- Redis serves no one else. Needs a pruned bucket (consume) and no earlier charge in the batch.
-- Returns "fits", or used and resetAt (nil: never fits), or nil when the shortcut does not apply.
local function quickCharge(ek, mk, amount, max, windowMs)
  if tonumber(redis.call('HGET', mk, 'nonint') or '0') ~= 0 or amount ~= math.floor(amount) then return nil end
  local used = totalOf(mk)
  if math.abs(used) >= 9007199254740992 then return nil end
  if used + amount <= max then return 'fits' end
  if amount > max then return used, nil end
  local gone, offset = 0, 0
  while true do
    local page = redis.call('ZRANGE', ek, '(' .. fmt(now - windowMs), '+inf', 'BYSCORE', 'LIMIT', offset, 64, 'WITHSCORES')
    if #page == 0 then return used, nil end
    for j = 1, #page, 2 do
      gone = gone + amountOf(page[j])
      if (used - gone) + amount <= max then return used, tonumber(page[j + 1]) + windowMs end
    end
    offset = offset + 64
  end
end

-- window.ts checkCharge on the bucket's events plus the batch's earlier charges to the key.
local function foldCharge(ek, pendingOfKey, amount, max, windowMs)
  local events = inWindow(ek, windowMs)
  for _, e in ipairs(pendingOfKey or {}) do insertSorted(events, e) end
  return checkCharge(events, amount, max, windowMs)
end

-- window.ts checkBatch: charges see the earlier charges of the batch to their key. `pruned`: the
-- buckets hold only in-window events, so quickCharge may answer.
local function checkBatch(pruned)
  local pending = {}
  for i = 1, n do
    local ek = KEYS[2 * i - 1]
    local base = 3 + 3 * (i - 1)
    local amount, max, windowMs = num(ARGV[base + 1]), num(ARGV[base + 2]), num(ARGV[base + 3])
    local used, resetAt
    if pruned and pending[ek] == nil then used, resetAt = quickCharge(ek, KEYS[2 * i], amount, max, windowMs) end
    if used == nil then
      used, resetAt = foldCharge(ek, pending[ek], amount, max, windowMs)
    elseif used == 'fits' then
      used = nil
    end
    if used ~= nil then
      return { 'denied', i, fmt(used), resetAt == nil and 'null' or fmt(resetAt) }
    end
    pending[ek] = pending[ek] or {}
    table.insert(pending[ek], { now, amount })
  end
  return nil
end

-- Drops the bucket's events at or before start, keeping the running total (memory.ts prune).
local function prune(ek, mk, start)
  local gone = redis.call('ZRANGE', ek, '-inf', fmt(start), 'BYSCORE')
  if #gone == 0 then return end
  redis.call('ZREMRANGEBYSCORE', ek, '-inf', fmt(start))
  if redis.call('ZCARD', ek) == 0 then
    -- An emptied bucket restarts at exactly 0, so rounding never accumulates.
    redis.call('HSET', mk, 'total', '0', 'nonint', '0')
    return
  end
  local sum, nonint = 0, 0
  for _, m in ipairs(gone) do
    local a = amountOf(m)
    sum = sum + a
    if a ~= math.floor(a) then nonint = nonint + 1 end
  end
  redis.call('HSET', mk, 'total', fmt(totalOf(mk) - sum))
  if nonint > 0 then redis.call('HINCRBY', mk, 'nonint', -nonint) end
end

-- window.ts clearlyFits: true when every charge fits with a margin no rounding can cross.
local function clearlyFits()
  local pending = {}
  for i = 1, n do
    local mk = KEYS[2 * i]
    local base = 3 + 3 * (i - 1)
    local amount, max = num(ARGV[base + 1]), num(ARGV[base + 2])
    local used = totalOf(mk) + (pending[mk] or 0)
    local margin = 1e-9 * math.max(1, math.abs(max), used)
    if not (used + amount <= max - margin) then return false end
    pending[mk] = (pending[mk] or 0) + amount
  end
  return true
end

local function record(ek, mk, at, amount)
  local seq = redis.call('HINCRBY', mk, 'seq', 1)
  redis.call('ZADD', ek, at, string.format('%016x', seq) .. ':' .. fmt(amount))
  redis.call('HSET', mk, 'total', fmt(totalOf(mk) + amount))
  if amount ~= math.floor(amount) then redis.call('HINCRBY', mk, 'nonint', 1) end
end

if mode == 'seed' then
  record(KEYS[1], KEYS[2], now, num(ARGV[4]))
  -- Seeded events never expire on their own (as in the memory store): only pruning removes them.
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
  return { 'ok' }
end

if mode == 'peek' then
  return checkBatch(false) or { 'ok' }
end

for i = 1, n do
  local base = 3 + 3 * (i - 1)
  prune(KEYS[2 * i - 1], KEYS[2 * i], now - num(ARGV[base + 3]))
end
if not clearlyFits() then
  local denied = checkBatch(true)
  if denied then return denied end
end
for i = 1, n do
  local ek, mk = KEYS[2 * i - 1], KEYS[2 * i]
  local base = 3 + 3 * (i - 1)
  record(ek, mk, now, num(ARGV[base + 1]))
  -- Idle buckets expire by themselves (the SQL stores' sweep): a bucket lives at least its window
  -- past its newest event. Refreshed only once half of keep-ms has run down, not on every charge.
  local ttl = num(ARGV[base + 3]) + keep
  if redis.call('PTTL', ek) < ttl - keep / 2 then
    redis.call('PEXPIRE', ek, math.ceil(ttl))
    redis.call('PEXPIRE', mk, math.ceil(ttl))
  end
end
return { 'ok' }
