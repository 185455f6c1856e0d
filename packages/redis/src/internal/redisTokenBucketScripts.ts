/**
 * The Lua side of `RedisTokenBucket`. One hash per bucket holds the limits and the state:
 *
 * | field | meaning |
 * |---|---|
 * | `n` | how many limits (bands) |
 * | `r<i>`, `p<i>`, `b<i>` | band i's rate, period in ms, burst |
 * | `t<i>` | band i's tokens at `last` (negative is impossible; 0 right after a pause) |
 * | `last` | the Redis time (ms) the tokens were computed at |
 * | `paused` | the Redis time (ms) until which nothing is admitted and nothing accrues (0: never paused) |
 * | `pauses`, `admitted`, `cost` | counters across every process |
 * | `hold`, `holdCost`, `holdUntil` | the caller holding the tokens it waits for (see `take`); `""` when none |
 *
 * Every script reads the time with `TIME` itself: callers' clocks never enter the arithmetic, so machines whose
 * clocks disagree still share one consistent bucket. Every script receives the caller's limits as
 * `ARGV[1] = n, ARGV[2..] = rate, perMs, burst` per band; they are used only when the hash does not exist
 * (first use, or Redis lost its data), so a bucket is recreated, full, from the options of whichever process
 * touches it first. The stored limits are otherwise authoritative: `configure` is the only script that
 * replaces them.
 *
 * Numbers are stored with `%.17g`: Lua's own `tostring` keeps 14 digits, which would round a millisecond
 * timestamp to a tenth of a millisecond and fractional tokens worse. Replies carry floats as strings because
 * Redis truncates a Lua number to an integer reply.
 *
 * @internal
 */

const prelude = `
local key = KEYS[1]
local EPS = 1e-9
local function fmt(x) return string.format("%.17g", x) end
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local nArg = tonumber(ARGV[1])
local at = 2 + 3 * nArg

local function fromArgs()
  local bands = {}
  for i = 1, nArg do
    local j = 3 * i - 1
    local b = tonumber(ARGV[j + 2])
    bands[i] = { r = tonumber(ARGV[j]), p = tonumber(ARGV[j + 1]), b = b, t = b }
  end
  return bands
end

local function load()
  local n = tonumber(redis.call("HGET", key, "n"))
  if n == nil then
    return { fresh = true, bands = fromArgs(), last = now, paused = 0, pauses = 0, admitted = 0, cost = 0,
      hold = "", holdCost = 0, holdUntil = 0 }
  end
  local names = { "last", "paused", "pauses", "admitted", "cost", "hold", "holdCost", "holdUntil" }
  for i = 1, n do
    names[#names + 1] = "r" .. i
    names[#names + 1] = "p" .. i
    names[#names + 1] = "b" .. i
    names[#names + 1] = "t" .. i
  end
  local v = redis.call("HMGET", key, unpack(names))
  local s = { fresh = false, bands = {}, last = tonumber(v[1]), paused = tonumber(v[2]),
    pauses = tonumber(v[3]), admitted = tonumber(v[4]), cost = tonumber(v[5]),
    hold = v[6] or "", holdCost = tonumber(v[7]) or 0, holdUntil = tonumber(v[8]) or 0 }
  for i = 1, n do
    local j = 9 + 4 * (i - 1)
    s.bands[i] = { r = tonumber(v[j]), p = tonumber(v[j + 1]), b = tonumber(v[j + 2]), t = tonumber(v[j + 3]) }
  end
  return s
end

-- Tokens accrue from the later of the last look and the end of a pause. If the server's clock stepped back,
-- now < last: nothing accrues until it catches up (never a negative refill, never a free burst).
local function refill(s)
  local from = math.max(s.last, s.paused)
  if now > from then
    local elapsed = now - from
    for _, band in ipairs(s.bands) do
      band.t = math.min(band.b, band.t + elapsed * band.r / band.p)
    end
  end
  if now > s.last then s.last = now end
end

local function minBurst(s)
  local m = math.huge
  for _, band in ipairs(s.bands) do if band.b < m then m = band.b end end
  return m
end

local function save(s)
  local fields = { "n", #s.bands, "last", fmt(s.last), "paused", fmt(s.paused), "pauses", s.pauses,
    "admitted", s.admitted, "cost", fmt(s.cost), "hold", s.hold, "holdCost", fmt(s.holdCost),
    "holdUntil", fmt(s.holdUntil) }
  for i, band in ipairs(s.bands) do
    fields[#fields + 1] = "r" .. i
    fields[#fields + 1] = fmt(band.r)
    fields[#fields + 1] = "p" .. i
    fields[#fields + 1] = fmt(band.p)
    fields[#fields + 1] = "b" .. i
    fields[#fields + 1] = fmt(band.b)
    fields[#fields + 1] = "t" .. i
    fields[#fields + 1] = fmt(band.t)
  end
  redis.call("HSET", key, unpack(fields))
end
`

/**
 * `ARGV[at] = owner` (one id per bucket instance), `ARGV[at + 1] = k`, then k costs, in the order the callers
 * queued in one process. Admits the longest prefix the tokens (and any pause) allow, taking the tokens now.
 * Replies `{ admitted, status, wait, now, minBurst }`: `wait` is how many ms until the first caller left out can
 * go (-1 when all went), `status` 1 means that caller's cost is above the (possibly reconfigured) burst and it
 * can never go.
 *
 * The hold keeps a large request from starving behind a stream of small ones from other processes (each of
 * which would take a token as soon as it accrues, so `cost` tokens never pile up). The first caller told to
 * wait holds its cost: until it is admitted (or `HOLD_GRACE_MS` after the wait it was told, should its process
 * have died), other owners may only take tokens beyond that cost. Its own owner releases it on admission and
 * cannot take it again in the same call, so the next owner kept waiting gets it.
 *
 * @internal
 */
export const take = `${prelude}
local HOLD_GRACE_MS = 200
local s = load()
refill(s)
local owner = ARGV[at]
local k = tonumber(ARGV[at + 1])
local limit = minBurst(s)
-- A hold for more than the (reconfigured) burst can never be honoured: ignore it.
local active = s.hold ~= "" and s.holdUntil > now and s.holdCost <= limit + EPS
local mine = active and s.hold == owner
local reserve = 0
if active and not mine then reserve = s.holdCost end
local released, dirty = false, false
local count, status, wait, spent = 0, 0, -1, 0
for j = 1, k do
  local c = tonumber(ARGV[at + 1 + j])
  if c > limit + EPS then
    status = 1
    if mine then
      s.hold, s.holdCost, s.holdUntil = "", 0, 0
      dirty = true
    end
    break
  end
  local need = c + reserve
  local short = now < s.paused
  if not short then
    for _, band in ipairs(s.bands) do
      if band.t < need - EPS then
        short = true
        break
      end
    end
  end
  if short then
    -- The exact time until every band holds what this caller needs (plus another owner's hold), counted from
    -- the end of any pause.
    local w = 0
    for _, band in ipairs(s.bands) do
      local missing = need - band.t
      if missing > EPS then w = math.max(w, missing * band.p / band.r) end
    end
    wait = math.max(now, s.paused) - now + w
    if not released and (not active or mine) then
      s.hold, s.holdCost, s.holdUntil = owner, c, now + wait + HOLD_GRACE_MS
      dirty = true
    end
    break
  end
  for _, band in ipairs(s.bands) do band.t = band.t - c end
  count = count + 1
  spent = spent + c
  if mine then
    s.hold, s.holdCost, s.holdUntil = "", 0, 0
    mine, active, released, dirty = false, false, true, true
  end
end
-- Nothing changed: the stored state still describes the bucket exactly (refilling is a function of time).
if count > 0 or s.fresh or dirty then
  s.admitted = s.admitted + count
  s.cost = s.cost + spent
  save(s)
end
return { count, status, fmt(wait), fmt(now), fmt(limit) }
`

/**
 * `ARGV[1] = owner`: gives up the hold if this owner has it (its last waiting caller left). Replies 0.
 *
 * @internal
 */
export const release = `
if redis.call("HGET", KEYS[1], "hold") == ARGV[1] then
  redis.call("HSET", KEYS[1], "hold", "", "holdCost", "0", "holdUntil", "0")
end
return 0
`

/**
 * `ARGV[at] = ms`. Nothing is admitted and nothing accrues until `now + ms` (a later pause wins), and the
 * bucket restarts empty. Replies `{ pausedUntil, now }`.
 *
 * @internal
 */
export const pause = `${prelude}
local s = load()
refill(s)
local untilMs = now + tonumber(ARGV[at])
if untilMs > s.paused then s.paused = untilMs end
for _, band in ipairs(s.bands) do
  if band.t > 0 then band.t = 0 end
end
s.pauses = s.pauses + 1
save(s)
return { fmt(s.paused), fmt(now) }
`

/**
 * Replaces the limits with the ones in `ARGV`: tokens carry over band by band (clamped to the new burst), a new
 * band starts full, a missing hash is created full. Replies `now`.
 *
 * @internal
 */
export const configure = `${prelude}
local s = load()
refill(s)
local old = s.bands
local bands = fromArgs()
for i, band in ipairs(bands) do
  if old[i] ~= nil then band.t = math.min(band.b, old[i].t) end
end
s.bands = bands
save(s)
for i = #bands + 1, #old do
  redis.call("HDEL", key, "r" .. i, "p" .. i, "b" .. i, "t" .. i)
end
return fmt(now)
`

/**
 * Reads without writing. Replies `{ now, paused, pauses, admitted, cost, n, (tokens, rate, perMs, burst) * n }`.
 *
 * @internal
 */
export const statistics = `${prelude}
local s = load()
refill(s)
local reply = { fmt(now), fmt(s.paused), s.pauses, s.admitted, fmt(s.cost), #s.bands }
for _, band in ipairs(s.bands) do
  reply[#reply + 1] = fmt(band.t)
  reply[#reply + 1] = fmt(band.r)
  reply[#reply + 1] = fmt(band.p)
  reply[#reply + 1] = fmt(band.b)
end
return reply
`
