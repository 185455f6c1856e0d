import { InvalidArgument, TokenBucket } from "@fiberkit/core"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import type * as api from "../RedisConnection.js"
import type * as RedisTokenBucket from "../RedisTokenBucket.js"
import * as realTime from "./realTime.js"
import * as connection from "./redisConnection.js"
import * as scripts from "./redisTokenBucketScripts.js"

type InvalidArgumentError = InvalidArgument.InvalidArgumentError
type RedisError = api.RedisError
type Failure = RedisError | InvalidArgumentError | TokenBucket.TokenBucketClosedError

// Float refills can leave 0.9999999 of a token where 1 is due (the same tolerance as the Lua side).
const EPSILON = 1e-9

/** How many queued callers one script call may admit: bounds the script's run time inside Redis. */
const MAX_BATCH = 256
/** The smallest batch: when tokens are short, a call admits a few callers, not hundreds. */
const MIN_BATCH = 4

const takeScript = connection.defineScript("RedisTokenBucket.take", scripts.take)
const pauseScript = connection.defineScript("RedisTokenBucket.pause", scripts.pause)
const configureScript = connection.defineScript("RedisTokenBucket.configure", scripts.configure)
const statisticsScript = connection.defineScript("RedisTokenBucket.statistics", scripts.statistics)
const releaseScript = connection.defineScript("RedisTokenBucket.release", scripts.release)

/** @internal */
export const keyOf = (name: string): string => `fiberkit:token-bucket:${name}`

// ---------------------------------------------------------------------------------------------------------------
// Options: the same rules, and the same messages, as the local TokenBucket.
// ---------------------------------------------------------------------------------------------------------------

interface BandConfig {
  readonly rate: number
  readonly perMs: number
  readonly burst: number
}

interface Config {
  readonly bands: ReadonlyArray<BandConfig>
  readonly maxConcurrent: number | undefined
  readonly cost: number
}

const invalid = (operation: string, argument: string, expected: string, actual: unknown) =>
  new InvalidArgument.InvalidArgumentError({ operation, argument, expected, actual })

const positiveFinite = (operation: string, argument: string, value: unknown): InvalidArgumentError | undefined =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ?
    undefined :
    invalid(operation, argument, "a finite number greater than 0", value)

const costTooHigh = (operation: string, cost: number, burst: number, reconfigured: boolean) =>
  invalid(
    operation,
    "cost",
    `at most the bucket's burst of ${burst}${
      reconfigured ? " (the bucket was reconfigured below this request while it waited)" : ""
    }`,
    cost
  )

const decodeMillis = (value: unknown): number => {
  const decoded = Duration.decodeUnknown(value)
  // Duration clamps a negative number of ms to zero; a negative duration is a mistake worth reporting.
  return Option.isSome(decoded) && !(typeof value === "number" && value < 0) ?
    Duration.toMillis(decoded.value) :
    Number.NaN
}

const decodePer = (operation: string, argument: string, per: unknown): number | InvalidArgumentError => {
  if (per === undefined) return 1000
  const ms = decodeMillis(per)
  return Number.isFinite(ms) && ms > 0 ? ms : invalid(operation, argument, "a finite duration greater than 0", per)
}

type AnyOptions = TokenBucket.Options & TokenBucket.Limit & { readonly limits?: ReadonlyArray<TokenBucket.Limit> }

const parseConfig = (
  operation: string,
  options: TokenBucket.Options | TokenBucket.Reconfigure,
  previous?: Config
): Config | InvalidArgumentError => {
  if (!Predicate.isObject(options)) {
    return invalid(operation, "options", "an object with rate (or limits)", options)
  }
  const o = options as AnyOptions
  let raw: ReadonlyArray<TokenBucket.Limit>
  if (o.limits !== undefined) {
    if (o.rate !== undefined) {
      return invalid(operation, "rate", "absent when limits is given (put every limit in limits)", o.rate)
    }
    if (!Array.isArray(o.limits) || o.limits.length === 0) {
      return invalid(operation, "limits", "a non-empty array of { rate, per, burst }", o.limits)
    }
    raw = o.limits
  } else if (o.rate === undefined && previous !== undefined) {
    raw = []
  } else {
    raw = [o]
  }
  const bands: Array<BandConfig> = []
  for (let i = 0; i < raw.length; i++) {
    const limit = raw[i]
    const name = (field: string) => o.limits === undefined ? field : `limits[${i}].${field}`
    if (!Predicate.isObject(limit)) return invalid(operation, `limits[${i}]`, "an object", limit)
    const rateProblem = positiveFinite(operation, name("rate"), limit.rate)
    if (rateProblem !== undefined) return rateProblem
    const burst = limit.burst ?? 1
    if (!(typeof burst === "number" && Number.isFinite(burst) && burst >= 1)) {
      return invalid(operation, name("burst"), "a finite number of at least 1", burst)
    }
    const perMs = decodePer(operation, name("per"), limit.per)
    if (typeof perMs !== "number") return perMs
    bands.push({ rate: limit.rate, perMs, burst })
  }
  const finalBands = bands.length > 0 ? bands : previous!.bands
  const maxConcurrent = o.maxConcurrent === undefined ?
    (raw.length === 0 ? previous?.maxConcurrent : undefined) :
    o.maxConcurrent
  if (
    maxConcurrent !== undefined &&
    !(typeof maxConcurrent === "number" && Number.isSafeInteger(maxConcurrent) && maxConcurrent > 0)
  ) {
    return invalid(operation, "maxConcurrent", "a positive integer", maxConcurrent)
  }
  const cost = o.cost ?? previous?.cost ?? 1
  const costProblem = positiveFinite(operation, "cost", cost)
  if (costProblem !== undefined) return costProblem
  const minBurst = Math.min(...finalBands.map((b) => b.burst))
  if (cost > minBurst) return costTooHigh(operation, cost, minBurst, false)
  return { bands: finalBands, maxConcurrent, cost }
}

const bandArgs = (bands: ReadonlyArray<BandConfig>): Array<number> => {
  const args: Array<number> = [bands.length]
  for (const band of bands) args.push(band.rate, band.perMs, band.burst)
  return args
}

// ---------------------------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------------------------

const protocolError = (operation: string, reply: unknown) =>
  new connection.RedisError({
    operation,
    reason: "protocol",
    cause: new Error(`unexpected script reply ${JSON.stringify(reply)}`)
  })

const num = (value: unknown): number => typeof value === "number" ? value : Number(value)

interface TakeReply {
  readonly admitted: number
  readonly costTooHigh: boolean
  readonly waitMs: number
  readonly now: number
  readonly minBurst: number
}

const decodeTake = (reply: unknown): TakeReply | undefined => {
  if (!Array.isArray(reply) || reply.length !== 5) return undefined
  const decoded = {
    admitted: num(reply[0]),
    costTooHigh: num(reply[1]) === 1,
    waitMs: num(reply[2]),
    now: num(reply[3]),
    minBurst: num(reply[4])
  }
  return Number.isFinite(decoded.admitted) && Number.isFinite(decoded.waitMs) && Number.isFinite(decoded.now) ?
    decoded :
    undefined
}

// ---------------------------------------------------------------------------------------------------------------
// The bucket
// ---------------------------------------------------------------------------------------------------------------

const WAITING = 0 // in this process's queue
const SENT = 1 // in the batch a take script is deciding on
const GRANTED = 2 // Redis gave it its tokens; its fiber is being resumed
const DONE = 3 // resumed, failed, or its fiber gave up

interface Waiter {
  readonly cost: number
  readonly slot: boolean
  readonly operation: string
  state: number
  resume: ((effect: Effect.Effect<void, Failure>) => void) | undefined
  outcome: Effect.Effect<void, Failure> | undefined
  prev: Waiter | undefined
  next: Waiter | undefined
}

/**
 * Test seam: called for every caller Redis admits, with the Redis time (ms) of the admission. The
 * multi-process accuracy test records these to check windows on the clock the guarantee is stated on.
 *
 * @internal
 */
export interface Hooks {
  readonly onAdmit?: ((redisMillis: number, cost: number) => void) | undefined
}

const settle = (node: Waiter, outcome: Effect.Effect<void, Failure>): void => {
  if (node.resume === undefined) node.outcome = outcome
  else node.resume(outcome)
}

/** @internal */
export class RedisTokenBucketImpl {
  bands: ReadonlyArray<BandConfig>
  minBurst: number
  maxConcurrent: number | undefined
  defaultCost: number
  head: Waiter | undefined = undefined
  tail: Waiter | undefined = undefined
  /** Callers of this process not yet admitted (queued, or in a batch at Redis). */
  waiting = 0
  inFlight = 0
  peakInFlight = 0
  /** Concurrency slots promised to callers in the batch at Redis. */
  reserved = 0
  batch: ReadonlyArray<Waiter> | undefined = undefined
  /**
   * How many callers the next script call carries. When the bucket is the bottleneck each call admits only what
   * accrued since the last (a token or two at 1000/s), so sending hundreds of queued callers every time would
   * only cost CPU; it grows again (doubling) while calls admit everything they carry.
   */
  batchLimit = MAX_BATCH
  pumping = false
  timers = 0
  /** Ends the pump's sleep early (the head left, the limits changed). */
  wake: (() => void) | undefined = undefined
  closed = false
  readonly key: string
  /** Who this instance is in the bucket's hold (see the take script). */
  readonly owner = Crypto.randomUUID()
  /** The last reply left a caller waiting, so this instance may hold tokens for it. */
  mayHold = false

  constructor(
    readonly name: string,
    readonly label: string | undefined,
    config: Config,
    readonly redis: api.RedisConnection,
    readonly scope: Scope.Scope,
    readonly hooks: Hooks
  ) {
    this.key = keyOf(name)
    this.bands = config.bands
    this.minBurst = Math.min(...config.bands.map((b) => b.burst))
    this.maxConcurrent = config.maxConcurrent
    this.defaultCost = config.cost
  }

  enqueue(cost: number, slot: boolean, operation: string): Waiter {
    const node: Waiter = {
      cost,
      slot,
      operation,
      state: WAITING,
      resume: undefined,
      outcome: undefined,
      prev: this.tail,
      next: undefined
    }
    if (this.tail === undefined) this.head = node
    else this.tail.next = node
    this.tail = node
    this.waiting++
    return node
  }

  unlink(node: Waiter): void {
    if (node.prev === undefined) this.head = node.next
    else node.prev.next = node.next
    if (node.next === undefined) this.tail = node.prev
    else node.next.prev = node.prev
    node.prev = node.next = undefined
  }

  pushFront(node: Waiter): void {
    node.prev = undefined
    node.next = this.head
    if (this.head === undefined) this.tail = node
    else this.head.prev = node
    this.head = node
  }

  fail(node: Waiter, error: Failure): void {
    node.state = DONE
    this.waiting--
    settle(node, Effect.fail(error))
  }

  /**
   * Takes callers from the head, in order, for one script call: stops at the first that needs a concurrency
   * slot when none is free (the release will restart the pump). Callers whose cost can no longer fit (the burst
   * was reconfigured below it) fail here.
   */
  nextBatch(): Array<Waiter> {
    const batch: Array<Waiter> = []
    let node = this.head
    while (node !== undefined && batch.length < this.batchLimit) {
      const next: Waiter | undefined = node.next
      if (node.cost > this.minBurst + EPSILON) {
        this.unlink(node)
        this.fail(node, costTooHigh(node.operation, node.cost, this.minBurst, true))
      } else {
        if (
          node.slot && this.maxConcurrent !== undefined && this.inFlight + this.reserved >= this.maxConcurrent
        ) break
        this.unlink(node)
        node.state = SENT
        if (node.slot) this.reserved++
        batch.push(node)
      }
      node = next
    }
    return batch
  }

  /** Puts callers Redis did not admit back at the front, in their order. */
  requeue(nodes: ReadonlyArray<Waiter>, from: number): void {
    for (let i = nodes.length - 1; i >= from; i--) {
      const node = nodes[i]!
      if (node.state !== SENT) continue
      if (node.slot) this.reserved--
      node.state = WAITING
      this.pushFront(node)
    }
  }

  /** Every caller of this process waiting now fails with the same error (Redis down: fail fast, all of them). */
  failAll(batch: ReadonlyArray<Waiter> | undefined, error: Failure): void {
    if (batch !== undefined) {
      for (const node of batch) {
        if (node.state !== SENT) continue
        if (node.slot) this.reserved--
        this.fail(node, error)
      }
    }
    let node = this.head
    while (node !== undefined) {
      const next: Waiter | undefined = node.next
      this.unlink(node)
      this.fail(node, error)
      node = next
    }
  }

  handleTake(batch: ReadonlyArray<Waiter>, reply: TakeReply): number | undefined {
    this.minBurst = reply.minBurst
    this.mayHold = reply.waitMs >= 0
    this.batchLimit = reply.admitted === batch.length ?
      Math.min(MAX_BATCH, this.batchLimit * 2) :
      Math.max(MIN_BATCH, Math.min(MAX_BATCH, 2 * reply.admitted + MIN_BATCH))
    for (let i = 0; i < reply.admitted; i++) {
      const node = batch[i]!
      this.hooks.onAdmit?.(reply.now, node.cost)
      // A caller that gave up while its request was at Redis spent its tokens: Redis cannot know.
      if (node.state !== SENT) continue
      node.state = GRANTED
      this.waiting--
      if (node.slot) {
        this.reserved--
        this.inFlight++
        if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight
      }
      settle(node, Effect.void)
    }
    let from = reply.admitted
    if (reply.costTooHigh && from < batch.length) {
      const node = batch[from]!
      if (node.state === SENT) {
        if (node.slot) this.reserved--
        this.fail(node, costTooHigh(node.operation, node.cost, reply.minBurst, true))
      }
      from++
    }
    this.requeue(batch, from)
    return from < batch.length && reply.waitMs >= 0 ? reply.waitMs : undefined
  }

  /**
   * One fiber per process talks to Redis while callers wait: it sends the queue's head (up to batchLimit callers)
   * in one script call, resumes those admitted, and sleeps exactly as long as the script says the next one must
   * wait. Callers arriving meanwhile queue up and go in the next call, so one round trip admits many.
   */
  readonly pump: Effect.Effect<void> = Effect.suspend(() => {
    const batch = this.closed ? [] : this.nextBatch()
    if (batch.length === 0) {
      this.pumping = false
      // The caller this instance held tokens for gave up and nobody else waits here: let the other processes
      // have them now rather than when the hold expires.
      return this.head === undefined && this.mayHold ? this.releaseHold : Effect.void
    }
    this.batch = batch
    const costs = batch.map((node) => node.cost)
    return Effect.flatMap(
      Effect.either(
        this.redis.run("TokenBucket.take", takeScript, [this.key], [
          ...bandArgs(this.bands),
          this.owner,
          costs.length,
          ...costs
        ])
      ),
      (result) => {
        this.batch = undefined
        if (result._tag === "Left") {
          this.failAll(batch, result.left)
          return this.pump
        }
        const reply = decodeTake(result.right)
        if (reply === undefined) {
          this.failAll(batch, protocolError("TokenBucket.take", result.right))
          return this.pump
        }
        const wait = this.handleTake(batch, reply)
        return wait === undefined ? this.pump : Effect.zipRight(this.sleep(wait), this.pump)
      }
    )
  })

  /** Best effort: if it fails, the hold expires by itself a moment after the wait it was taken for. */
  readonly releaseHold: Effect.Effect<void> = Effect.suspend(() => {
    this.mayHold = false
    return Effect.ignore(this.redis.run("TokenBucket.release", releaseScript, [this.key], [this.owner]))
  })

  /** Sleeps on the host's timers (Redis time runs at the same pace), unless woken early. */
  sleep(millis: number): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const done = () => {
        clearTimeout(timer)
        if (this.wake === done) this.wake = undefined
        resume(Effect.void)
      }
      // Clamped to setTimeout's limit: past it Node fires after 1 ms (a busy loop); waking early just asks again.
      const timer = setTimeout(done, realTime.timerMillis(Math.max(1, Math.ceil(millis - 1e-6))))
      this.wake = done
      return Effect.sync(() => {
        clearTimeout(timer)
        if (this.wake === done) this.wake = undefined
      })
    })
  }

  ensurePump(): Effect.Effect<void> {
    if (this.pumping || this.closed || this.head === undefined) return Effect.void
    this.pumping = true
    this.timers++
    const run = Effect.ensuring(
      Effect.interruptible(this.pump),
      Effect.sync(() => {
        this.timers--
      })
    )
    return Effect.asVoid(Effect.forkIn(run, this.scope))
  }

  releaseSlot(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.inFlight--
      return this.ensurePump()
    })
  }

  wait(node: Waiter): Effect.Effect<void, Failure> {
    return Effect.async<void, Failure>((resume) => {
      if (node.outcome !== undefined) resume(node.outcome)
      else node.resume = resume
      return Effect.suspend(() => {
        switch (node.state) {
          case WAITING: {
            // Gave up in the queue: costs nothing. If it was first, the next may go sooner.
            const wasHead = node === this.head
            this.unlink(node)
            node.state = DONE
            this.waiting--
            if (wasHead) this.wake?.()
            return Effect.void
          }
          case SENT: {
            node.state = DONE
            this.waiting--
            if (node.slot) this.reserved--
            return Effect.void
          }
          case GRANTED: {
            node.state = DONE
            return node.slot ? this.releaseSlot() : Effect.void
          }
        }
        return Effect.void
      })
    })
  }

  acquire(
    cost: number,
    slot: boolean,
    operation: string,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<void, Failure> {
    const problem = positiveFinite(operation, "cost", cost)
    if (problem !== undefined) return Effect.fail(problem)
    if (cost > this.minBurst + EPSILON) return Effect.fail(costTooHigh(operation, cost, this.minBurst, false))
    if (this.closed) return Effect.fail(new TokenBucket.TokenBucketClosedError({ label: this.label }))
    const node = this.enqueue(cost, slot, operation)
    return Effect.zipRight(this.ensurePump(), restore(this.wait(node)))
  }

  take(cost: number | undefined): Effect.Effect<void, Failure> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => this.acquire(cost ?? this.defaultCost, false, "TokenBucket.take", restore))
    )
  }

  withTokens(cost: number | undefined) {
    return <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | Failure, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          // The slot is only counted when the bucket has a concurrency cap at the time of the call.
          const slot = this.maxConcurrent !== undefined
          return Effect.flatMap(
            this.acquire(cost ?? this.defaultCost, slot, "TokenBucket.withTokens", restore),
            () => slot ? Effect.ensuring(restore(effect), this.releaseSlot()) : restore(effect)
          )
        })
      )
  }

  pause(millis: number): Effect.Effect<void, RedisError | InvalidArgumentError> {
    return Effect.suspend((): Effect.Effect<void, RedisError | InvalidArgumentError> => {
      if (!(typeof millis === "number" && Number.isFinite(millis) && millis >= 0)) {
        return Effect.fail(invalid("TokenBucket.pause", "duration", "a finite duration of at least 0", millis))
      }
      return Effect.asVoid(
        this.redis.run("TokenBucket.pause", pauseScript, [this.key], [...bandArgs(this.bands), millis])
      )
    })
  }

  reconfigure(options: TokenBucket.Reconfigure): Effect.Effect<void, RedisError | InvalidArgumentError> {
    return Effect.suspend((): Effect.Effect<void, RedisError | InvalidArgumentError> => {
      const previous: Config = { bands: this.bands, maxConcurrent: this.maxConcurrent, cost: this.defaultCost }
      const config = parseConfig("TokenBucket.reconfigure", options, previous)
      if (config instanceof InvalidArgument.InvalidArgumentError) return Effect.fail(config)
      const limitsChanged = config.bands !== previous.bands
      const store = limitsChanged ?
        Effect.asVoid(this.redis.run("TokenBucket.reconfigure", configureScript, [this.key], bandArgs(config.bands))) :
        Effect.void
      return Effect.zipRight(
        store,
        Effect.suspend(() => {
          this.bands = config.bands
          this.minBurst = Math.min(...config.bands.map((b) => b.burst))
          this.maxConcurrent = config.maxConcurrent
          this.defaultCost = config.cost
          // The head's wait was computed for the old limits; a larger maxConcurrent may free the head.
          this.wake?.()
          return this.ensurePump()
        })
      )
    })
  }

  get statistics(): Effect.Effect<TokenBucket.Statistics, RedisError> {
    return Effect.flatMap(
      this.redis.run("TokenBucket.statistics", statisticsScript, [this.key], bandArgs(this.bands)),
      (reply) => {
        const decoded = decodeStatistics(reply)
        if (decoded === undefined) return Effect.fail(protocolError("TokenBucket.statistics", reply))
        // Another process may have reconfigured the limits: keep this process's view (used to check costs) current.
        this.bands = decoded.bands
        this.minBurst = Math.min(...decoded.bands.map((b) => b.burst))
        return Effect.succeed<TokenBucket.Statistics>({
          admitted: decoded.admitted,
          admittedCost: decoded.admittedCost,
          waiting: this.waiting,
          inFlight: this.inFlight,
          peakInFlight: this.peakInFlight,
          tokens: decoded.tokens,
          pauses: decoded.pauses,
          pausedUntil: decoded.pausedUntil,
          timers: this.timers,
          closed: this.closed
        })
      }
    )
  }

  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      this.wake?.()
      const batch = this.batch
      this.batch = undefined
      this.failAll(batch, new TokenBucket.TokenBucketClosedError({ label: this.label }))
      return this.mayHold ? this.releaseHold : Effect.void
    })
  }
}

interface DecodedStatistics {
  readonly now: number
  readonly pausedUntil: number | undefined
  readonly pauses: number
  readonly admitted: number
  readonly admittedCost: number
  readonly tokens: ReadonlyArray<number>
  readonly bands: ReadonlyArray<BandConfig>
}

const decodeStatistics = (reply: unknown): DecodedStatistics | undefined => {
  if (!Array.isArray(reply) || reply.length < 6) return undefined
  const n = num(reply[5])
  if (!(Number.isSafeInteger(n) && n > 0 && reply.length === 6 + 4 * n)) return undefined
  const tokens: Array<number> = []
  const bands: Array<BandConfig> = []
  for (let i = 0; i < n; i++) {
    const j = 6 + 4 * i
    tokens.push(num(reply[j]))
    bands.push({ rate: num(reply[j + 1]), perMs: num(reply[j + 2]), burst: num(reply[j + 3]) })
  }
  const paused = num(reply[1])
  return {
    now: num(reply[0]),
    pausedUntil: paused > 0 ? paused : undefined,
    pauses: num(reply[2]),
    admitted: num(reply[3]),
    admittedCost: num(reply[4]),
    tokens,
    bands
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------------------------------------------

const parseOptions = (
  operation: string,
  options: RedisTokenBucket.Options
): { readonly name: string; readonly config: Config } | InvalidArgumentError => {
  if (!Predicate.isObject(options)) {
    return invalid(operation, "options", "an object with name and rate (or limits)", options)
  }
  const name = (options as { readonly name?: unknown }).name
  if (typeof name !== "string" || name.length === 0) {
    return invalid(operation, "name", "a non-empty string (the bucket's key in Redis)", name)
  }
  const label = (options as { readonly label?: unknown }).label
  if (label !== undefined && typeof label !== "string") return invalid(operation, "label", "a string", label)
  const config = parseConfig(operation, options)
  return config instanceof InvalidArgument.InvalidArgumentError ? config : { name, config }
}

/** @internal */
export const makeImpl = (
  options: RedisTokenBucket.Options,
  hooks: Hooks = {},
  operation = "RedisTokenBucket.make"
): Effect.Effect<RedisTokenBucketImpl, InvalidArgumentError | RedisError, api.RedisConnection | Scope.Scope> =>
  Effect.suspend((): Effect.Effect<
    RedisTokenBucketImpl,
    InvalidArgumentError | RedisError,
    api.RedisConnection | Scope.Scope
  > => {
    const parsed = parseOptions(operation, options)
    if (parsed instanceof InvalidArgument.InvalidArgumentError) return Effect.fail(parsed)
    return Effect.gen(function*() {
      const redis = yield* connection.RedisConnection
      const scope = yield* Effect.scope
      // The latest make (or reconfigure) defines the limits for every process; tokens carry over.
      yield* redis.run(operation, configureScript, [keyOf(parsed.name)], bandArgs(parsed.config.bands))
      const bucket = new RedisTokenBucketImpl(parsed.name, options.label, parsed.config, redis, scope, hooks)
      yield* Effect.addFinalizer(() => bucket.close())
      return bucket
    })
  })

/** @internal */
export const backendOf = (bucket: RedisTokenBucketImpl): TokenBucket.Backend<RedisError> => ({
  label: bucket.label,
  take: (cost) => bucket.take(cost),
  withTokens: (cost) => bucket.withTokens(cost),
  // TokenBucket.pause has checked the duration already; a bad one reaching here is a defect.
  pause: (millis) => Effect.catchTag(bucket.pause(millis), "InvalidArgumentError", (e) => Effect.die(e)),
  reconfigure: (options) => bucket.reconfigure(options),
  statistics: bucket.statistics
})

/** @internal */
export const make = (
  options: RedisTokenBucket.Options,
  hooks: Hooks = {}
): Effect.Effect<
  TokenBucket.TokenBucket<RedisError>,
  InvalidArgumentError | RedisError,
  api.RedisConnection | Scope.Scope
> => Effect.map(makeImpl(options, hooks), (bucket) => TokenBucket.fromBackend(backendOf(bucket)))

/** @internal */
export const layer = <I>(
  tag: Context.Tag<I, TokenBucket.TokenBucket<RedisError>>,
  options: RedisTokenBucket.Options
): Layer.Layer<I, InvalidArgumentError | RedisError, api.RedisConnection> =>
  Layer.scoped(
    tag,
    Effect.map(makeImpl(options, {}, "RedisTokenBucket.layer"), (b) => TokenBucket.fromBackend(backendOf(b)))
  )
