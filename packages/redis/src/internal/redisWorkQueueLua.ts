import { defineScript } from "./redisConnection.js"

/**
 * The Lua behind `RedisWorkQueue`. Every step that reads and then writes the shared
 * queue is one script, so it is atomic; every deadline is computed from Redis's own
 * `TIME`, so the clocks of the worker machines never matter.
 *
 * Keys (all share the hash tag `{name}`, so a cluster would keep one queue on one slot):
 *
 * | KEYS[i] | type | holds |
 * |---|---|---|
 * | 1 meta | hash | counters: seq, offered, succeeded, failed, discarded, redelivered, peak; ended |
 * | 2 pending | list | ids waiting; new ones pushed on the left, taken from the right, returned ones pushed on the right |
 * | 3 inflight | zset | ids claimed by a worker, scored by their visibility deadline (ms, Redis time) |
 * | 4 items | hash | id -> the encoded item (JSON of the schema's encoded side) |
 * | 5 deliveries | hash | id -> how many times the item was claimed |
 * | 6 lease | hash | id -> the token of the claim that holds it now |
 * | 7 dead | hash | id -> the encoded item, for items dropped after `maxDeliveries` claims |
 *
 * An item exists while it is in `items`; it is either in `pending` or in `inflight`.
 *
 * @internal
 */
export const keyNames = ["meta", "pending", "inflight", "items", "deliveries", "lease", "dead"] as const

// Shared by the scripts: Redis time in ms, and returning expired claims to the head of the pending list.
const prelude = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Wake-ups for the processes waiting on this queue (channel: the meta key + ":wake"). Pub/sub is at most
-- once: waiters poll as well.
local function wake(what)
  redis.call('PUBLISH', KEYS[1] .. ':wake', what)
end
local function reclaim(now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 512)
  for i = 1, #expired do
    local id = expired[i]
    redis.call('ZREM', KEYS[3], id)
    redis.call('HDEL', KEYS[6], id)
    if redis.call('HEXISTS', KEYS[4], id) == 1 then
      redis.call('RPUSH', KEYS[2], id)
    end
  end
  if #expired > 0 then
    redis.call('HINCRBY', KEYS[1], 'redelivered', #expired)
    wake('item')
  end
  return #expired
end
local function counter(name)
  return tonumber(redis.call('HGET', KEYS[1], name) or '0')
end
`

/**
 * ARGV: capacity, payload...
 * Accepts as many payloads as there is room for under `capacity` (counted over the pending list).
 * Returns the number accepted, or -1 when the queue's input has ended.
 *
 * @internal
 */
export const offer = defineScript(
  "RedisWorkQueue.offer",
  prelude + `
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return -1 end
local room = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[2])
local n = math.min(room, #ARGV - 1)
if n <= 0 then return 0 end
local last = redis.call('HINCRBY', KEYS[1], 'seq', n)
local ids = {}
for i = 1, n do
  local id = tostring(last - n + i)
  ids[i] = id
  redis.call('HSET', KEYS[4], id, ARGV[i + 1])
end
local length = redis.call('LPUSH', KEYS[2], unpack(ids))
redis.call('HINCRBY', KEYS[1], 'offered', n)
-- Remembered so that a claim knows when it frees room for a waiting producer.
redis.call('HSET', KEYS[1], 'capacity', ARGV[1])
if length > counter('peak') then redis.call('HSET', KEYS[1], 'peak', length) end
wake('item')
return n
`
)

/**
 * One round trip: settles what this process's workers finished (or hand back), then claims what is next for
 * one worker. The process's settler sends settlements alone with maxTake 0, as soon as a handler ends.
 *
 * ARGV: consumer, visibilityMs, maxTake, divisor, maxDeliveries (0: no limit), nSettle, then nSettle triples
 * (id, token, outcome) with outcome "s" (succeeded), "f" (failed), "d" (discarded: could not be decoded),
 * "r" (released: not processed, back to the head of the pending list for someone else; a release does not
 * count as a delivery, so only claims that ended in a crash or a lapse count towards maxDeliveries).
 *
 * A settle whose token no longer holds the item (its claim expired and the item went back to pending or
 * to another worker) still completes the item if it exists: the handler did run, and that is what
 * at-least-once promises. A settle for an item that no longer exists is a duplicate and counts nothing.
 *
 * It takes at most maxTake items, and never more than a fair share (pending / divisor, at least one), so a
 * shallow queue is shared item by item between workers and processes.
 *
 * An item claimed more than maxDeliveries times is not delivered again: it moves to the dead hash and counts
 * as discarded (a poison item that kills every worker that takes it must not go round for ever).
 *
 * Returns { settled, pending, inflight, ended, dropped, id1, payload1, token1, deliveries1, ... }.
 *
 * @internal
 */
export const settleAndClaim = defineScript(
  "RedisWorkQueue.claim",
  prelude + `
local now = now_ms()
local consumer = ARGV[1]
local visibility = tonumber(ARGV[2])
local maxTake = tonumber(ARGV[3])
local divisor = tonumber(ARGV[4])
local maxDeliveries = tonumber(ARGV[5])
local nSettle = tonumber(ARGV[6])
local settled = 0
local released = 0
local tally = { s = 0, f = 0, d = 0 }
local names = { s = 'succeeded', f = 'failed', d = 'discarded' }
for i = 0, nSettle - 1 do
  local id = ARGV[7 + i * 3]
  local token = ARGV[8 + i * 3]
  local outcome = ARGV[9 + i * 3]
  local held = redis.call('HGET', KEYS[6], id) == token
  if outcome == 'r' then
    if held then
      redis.call('ZREM', KEYS[3], id)
      redis.call('HDEL', KEYS[6], id)
      redis.call('RPUSH', KEYS[2], id)
      redis.call('HINCRBY', KEYS[5], id, -1)
      released = released + 1
    end
  elseif redis.call('HEXISTS', KEYS[4], id) == 1 then
    if held then
      redis.call('ZREM', KEYS[3], id)
    else
      -- The claim had expired: the item is pending again or held by another worker. It is done now.
      redis.call('ZREM', KEYS[3], id)
      redis.call('LREM', KEYS[2], 1, id)
    end
    redis.call('HDEL', KEYS[6], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
    tally[outcome] = tally[outcome] + 1
    settled = settled + 1
  end
end
for outcome, n in pairs(tally) do
  if n > 0 then redis.call('HINCRBY', KEYS[1], names[outcome], n) end
end
if released > 0 then wake('item') end
reclaim(now)
local reply = { settled, 0, 0, 0, 0 }
local dropped = 0
local pending = redis.call('LLEN', KEYS[2])
local take = math.min(maxTake, math.max(1, math.floor(pending / divisor)))
if maxTake > 0 and pending > 0 then
  local ids = redis.call('RPOP', KEYS[2], take)
  if pending >= counter('capacity') then wake('room') end
  local deadline = now + visibility
  for i = 1, #ids do
    local id = ids[i]
    local payload = redis.call('HGET', KEYS[4], id)
    local deliveries = payload and redis.call('HINCRBY', KEYS[5], id, 1)
    if payload and maxDeliveries > 0 and deliveries > maxDeliveries then
      redis.call('HSET', KEYS[7], id, payload)
      redis.call('HDEL', KEYS[4], id)
      redis.call('HDEL', KEYS[5], id)
      dropped = dropped + 1
    elseif payload then
      local claim = consumer .. '#' .. deliveries
      redis.call('HSET', KEYS[6], id, claim)
      redis.call('ZADD', KEYS[3], deadline, id)
      reply[#reply + 1] = id
      reply[#reply + 1] = payload
      reply[#reply + 1] = claim
      reply[#reply + 1] = deliveries
    end
  end
end
reply[2] = redis.call('LLEN', KEYS[2])
reply[3] = redis.call('ZCARD', KEYS[3])
reply[4] = redis.call('HEXISTS', KEYS[1], 'ended')
reply[5] = dropped
if dropped > 0 then redis.call('HINCRBY', KEYS[1], 'discarded', dropped) end
if (settled > 0 or dropped > 0) and reply[2] == 0 and reply[3] == 0 then wake('idle') end
return reply
`
)

/**
 * ARGV: visibilityMs, then pairs (id, token). Pushes the deadline of every claim still held by its token.
 * Returns the ids whose claim was lost (expired and taken back): their handlers run on, unprotected.
 *
 * @internal
 */
export const refresh = defineScript(
  "RedisWorkQueue.refresh",
  prelude + `
local deadline = now_ms() + tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[6], id) == ARGV[i + 1] then
    redis.call('ZADD', KEYS[3], 'XX', deadline, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
`
)

/**
 * A consistent snapshot of the shared figures (expired claims are returned to pending first, so
 * `queued` and `inFlight` are up to date).
 *
 * Returns { offered, succeeded, failed, discarded, redelivered, peak, ended, pending, inflight }.
 *
 * @internal
 */
export const stats = defineScript(
  "RedisWorkQueue.statistics",
  prelude + `
reclaim(now_ms())
return {
  counter('offered'), counter('succeeded'), counter('failed'), counter('discarded'),
  counter('redelivered'), counter('peak'), redis.call('HEXISTS', KEYS[1], 'ended'),
  redis.call('LLEN', KEYS[2]), redis.call('ZCARD', KEYS[3])
}
`
)

/**
 * Ends the shared queue's input: every later offer, from any process, is refused.
 *
 * @internal
 */
export const end = defineScript(
  "RedisWorkQueue.end",
  `
redis.call('HSET', KEYS[1], 'ended', 1)
redis.call('PUBLISH', KEYS[1] .. ':wake', 'end')
return 1
`
)
