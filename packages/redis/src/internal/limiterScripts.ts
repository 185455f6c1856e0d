import * as RedisConnection from "../RedisConnection.js"

// Every script gets the same keys and the pub/sub channel first, and starts with the same prelude: it reads the
// time from Redis (never from the caller, so clock skew between machines cannot move a lease's expiry), reclaims
// expired leases and abandoned waiters, and grants queued requests from the head of the FIFO queue while they fit.
//
// KEYS: 1 leases (zset id -> expiry ms), 2 holders (hash id -> permits), 3 queue (zset id -> arrival number),
//       4 queued (hash id -> "permits:ttl"), 5 heartbeats (zset waiting id -> deadline ms), 6 meta (hash)
// ARGV: 1 the channel on which granted ids (comma-separated) or "*" (capacity changed) are published,
//       2 the capacity this process last set: it re-creates the limiter after Redis lost its data (a restart
//         without persistence), instead of every request failing against a capacity of 0.
const prelude = `
local leases, holders, queue, queued, heartbeats, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local channel = ARGV[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local capacity = tonumber(redis.call('HGET', meta, 'capacity') or '0')
if capacity == 0 then
  capacity = tonumber(ARGV[2])
  redis.call('HSET', meta, 'capacity', capacity)
end
local inFlight = tonumber(redis.call('HGET', meta, 'inFlight') or '0')

-- expiry: when the lease lapses unless refreshed. A queued request granted here gets its waiter's heartbeat
-- deadline (its last sign of life + the TTL), not now + TTL: a waiter that died in the queue must not hold the
-- permits for up to twice the TTL. A live waiter extends it as soon as it learns of the grant (poll, refresh).
local function grant(id, permits, expiry)
  redis.call('ZADD', leases, expiry, id)
  redis.call('HSET', holders, id, permits)
  inFlight = inFlight + permits
  redis.call('HSET', meta, 'inFlight', inFlight)
  if inFlight > tonumber(redis.call('HGET', meta, 'peak') or '0') then
    redis.call('HSET', meta, 'peak', inFlight)
  end
  redis.call('HINCRBY', meta, 'acquired', permits)
end

local function dequeue(id)
  redis.call('ZREM', queue, id)
  redis.call('HDEL', queued, id)
  redis.call('ZREM', heartbeats, id)
end

local function giveBack(id)
  local held = redis.call('HGET', holders, id)
  redis.call('ZREM', leases, id)
  if not held then return 0 end
  redis.call('HDEL', holders, id)
  inFlight = inFlight - tonumber(held)
  redis.call('HSET', meta, 'inFlight', inFlight)
  return tonumber(held)
end

local function parse(spec)
  local sep = string.find(spec, ':', 1, true)
  return tonumber(string.sub(spec, 1, sep - 1)), tonumber(string.sub(spec, sep + 1))
end

local function settle()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 512)) do giveBack(id) end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', heartbeats, '-inf', now, 'LIMIT', 0, 512)) do dequeue(id) end
  local granted = {}
  while true do
    local head = redis.call('ZRANGE', queue, 0, 0)
    if #head == 0 then break end
    local id = head[1]
    local spec = redis.call('HGET', queued, id)
    if not spec then
      dequeue(id)
    else
      local permits, ttl = parse(spec)
      -- Strict FIFO: a large request at the head is not overtaken by smaller ones behind it, so it cannot starve.
      if inFlight + permits > capacity then break end
      local alive = tonumber(redis.call('ZSCORE', heartbeats, id) or (now + ttl))
      dequeue(id)
      grant(id, permits, math.min(alive, now + ttl))
      granted[#granted + 1] = id
    end
  end
  if #granted > 0 then redis.call('PUBLISH', channel, table.concat(granted, ',')) end
end
`

/**
 * ARGV 3 capacity. Sets the capacity, grants what now fits, tells every process to look again.
 *
 * @internal
 */
export const setCapacity = RedisConnection.defineScript(
  "limiter.setCapacity",
  `${prelude}
capacity = tonumber(ARGV[3])
redis.call('HSET', meta, 'capacity', capacity)
settle()
redis.call('PUBLISH', channel, '*')
return capacity
`
)

/**
 * ARGV 3 id, 4 permits, 5 ttl ms, 6 "wait" | "try".
 * Returns {1, capacity} granted, {0, available, waiting} queued ("wait") or refused ("try"), {-1, capacity} too large.
 *
 * @internal
 */
export const acquire = RedisConnection.defineScript(
  "limiter.acquire",
  `${prelude}
local id, permits, ttl, mode = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
settle()
if permits > capacity then return {-1, capacity} end
local waiting = redis.call('ZCARD', queue)
if waiting == 0 and inFlight + permits <= capacity then
  grant(id, permits, now + ttl)
  return {1, capacity}
end
local available = math.max(0, capacity - inFlight)
if mode == 'try' then return {0, available, waiting} end
local arrival = redis.call('HINCRBY', meta, 'arrivals', 1)
redis.call('ZADD', queue, arrival, id)
redis.call('HSET', queued, id, permits .. ':' .. ttl)
redis.call('ZADD', heartbeats, now + ttl, id)
return {0, available, waiting + 1}
`
)

/**
 * ARGV 3 id, 4 ttl ms. A waiter's check and heartbeat.
 * Returns {1} granted, {0} still queued (heartbeat renewed), {-1, capacity} larger than the capacity (dequeued),
 * {2} unknown (its heartbeat expired: the caller queues again).
 *
 * @internal
 */
export const poll = RedisConnection.defineScript(
  "limiter.poll",
  `${prelude}
local id, ttl = ARGV[3], tonumber(ARGV[4])
settle()
if redis.call('ZSCORE', leases, id) then
  -- Granted while queued (with the heartbeat's deadline): the waiter is alive, so the lease gets a full TTL.
  redis.call('ZADD', leases, 'XX', now + ttl, id)
  return {1}
end
local spec = redis.call('HGET', queued, id)
if not spec then return {2} end
local permits = parse(spec)
if permits > capacity then
  dequeue(id)
  settle()
  return {-1, capacity}
end
redis.call('ZADD', heartbeats, now + ttl, id)
return {0}
`
)

/**
 * ARGV 3 id. Gives back a lease or leaves the queue (whichever the id has); idempotent. Returns the permits given
 * back.
 *
 * @internal
 */
export const release = RedisConnection.defineScript(
  "limiter.release",
  `${prelude}
local id = ARGV[3]
dequeue(id)
local given = giveBack(id)
settle()
return given
`
)

/**
 * ARGV 3 ttl ms, 4.. ids. Extends the leases that still exist; returns the ids that are gone (expired).
 *
 * @internal
 */
export const refresh = RedisConnection.defineScript(
  "limiter.refresh",
  `${prelude}
local ttl = tonumber(ARGV[3])
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  -- A lease past its expiry but not reclaimed yet still counts in inFlight: extending it double-counts nothing.
  if redis.call('ZSCORE', leases, id) then
    redis.call('ZADD', leases, 'XX', now + ttl, id)
  else
    lost[#lost + 1] = id
  end
end
settle()
return lost
`
)

/**
 * Returns {capacity, inFlight, peak, acquired, queued}.
 *
 * @internal
 */
export const statistics = RedisConnection.defineScript(
  "limiter.statistics",
  `${prelude}
settle()
return {
  capacity,
  inFlight,
  tonumber(redis.call('HGET', meta, 'peak') or '0'),
  tonumber(redis.call('HGET', meta, 'acquired') or '0'),
  redis.call('ZCARD', queue)
}
`
)
