import type { InvalidArgument } from "@fiberkit/core"
import { Limiter } from "@fiberkit/core"
import type * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import type * as connectionApi from "../RedisConnection.js"
import type * as api from "../RedisLimiter.js"
import * as limiterScripts from "./limiterScripts.js"
import * as realTime from "./realTime.js"
import { RedisConnection, type RedisError } from "./redisConnection.js"
import * as validate from "./validate.js"

const defaultLeaseTtl = 10_000
const defaultPollInterval = 250

interface Resolved {
  readonly name: string
  readonly permits: number
  readonly label: string
  readonly ttl: number
  readonly poll: number
}

const resolve = (
  operation: string,
  options: api.Options
): Effect.Effect<Resolved, InvalidArgument.InvalidArgumentError> =>
  Effect.suspend(() => {
    const shape = validate.object(operation, "options", options)
    if (shape !== undefined) return Effect.fail(shape)
    const { name, permits, label } = options
    if (typeof name !== "string" || name.length === 0 || /[{},\s]/.test(name)) {
      return Effect.fail(
        validate.invalid(operation, "name", "a non-empty string without braces, commas or spaces", name)
      )
    }
    const problem = validate.positiveInteger(operation, "permits", permits) ??
      validate.optionalString(operation, "label", label)
    if (problem !== undefined) return Effect.fail(problem)
    let ttl = defaultLeaseTtl
    if (options.leaseTtl !== undefined) {
      const decoded = validate.positiveDuration(operation, "leaseTtl", options.leaseTtl)
      if (decoded instanceof Error) return Effect.fail(decoded)
      if (decoded.millis < 100) {
        return Effect.fail(validate.invalid(operation, "leaseTtl", "at least 100 millis", options.leaseTtl))
      }
      ttl = Math.ceil(decoded.millis)
    }
    let poll = Math.min(defaultPollInterval, Math.floor(ttl / 4))
    if (options.pollInterval !== undefined) {
      const decoded = validate.positiveDuration(operation, "pollInterval", options.pollInterval)
      if (decoded instanceof Error) return Effect.fail(decoded)
      // A waiter's poll is also its heartbeat: it must come well within the lease TTL.
      if (decoded.millis > ttl / 2) {
        return Effect.fail(
          validate.invalid(
            operation,
            "pollInterval",
            `at most half the leaseTtl (${ttl / 2} millis)`,
            options.pollInterval
          )
        )
      }
      poll = Math.max(1, Math.ceil(decoded.millis))
    }
    return Effect.succeed({ name, permits, label: label ?? name, ttl, poll })
  })

interface Waiter {
  readonly permits: number
  nudge: Deferred.Deferred<void>
  /** Set when the grant message named this waiter: the script already moved it to the leases. */
  granted: boolean
  /** In the Redis queue (counted in `waiting`); false while the first acquire script is on its way. */
  queued: boolean
}

// The scripts answer with arrays of integers; a missing slot reads as 0.
const asNumbers = (reply: unknown): readonly [number, number, number, number, number] => {
  const at = (i: number) => Array.isArray(reply) ? Number(reply[i] ?? 0) : 0
  return [at(0), at(1), at(2), at(3), at(4)]
}

/** @internal */
export const keysFor = (name: string): ReadonlyArray<string> => {
  const base = `fiberkit:limiter:{${name}}:`
  return [`${base}leases`, `${base}holders`, `${base}queue`, `${base}queued`, `${base}heartbeats`, `${base}meta`]
}

// Lease ids: unique per process and acquisition, never containing the "," of the pub/sub message.
const processTag = `${process.pid}-${Crypto.randomBytes(4).toString("hex")}`
let sequence = 0
const nextId = () => `${processTag}-${++sequence}`

const make_ = (
  resolved: Resolved
): Effect.Effect<Limiter.Limiter<RedisError>, RedisError, connectionApi.RedisConnection | Scope.Scope> =>
  Effect.gen(function*() {
    const redis = yield* RedisConnection
    const keys = keysFor(resolved.name)
    // Channels are not keys: ioredis does not prefix them, so the prefix is added here to keep applications apart.
    const channel = `${redis.keyPrefix}fiberkit:limiter:{${resolved.name}}:granted`
    const held = new Map<string, number>()
    const waiters = new Map<string, Waiter>()
    const operation = (what: string) => `RedisLimiter.${what} (${resolved.label})`
    // The capacity this instance last set travels with every script, to re-create the limiter if Redis lost it.
    let capacity = resolved.permits
    const run = (what: string, script: connectionApi.Script, args: ReadonlyArray<string | number>) =>
      redis.run(operation(what), script, keys, [channel, capacity, ...args])

    // Wake-ups: a release (or a reclaimed lease) that grants queued requests publishes their ids; each process
    // wakes exactly its own fibers. Pub/sub is at most once, so waiters also poll (the poll is their heartbeat).
    const subscriber = yield* redis.duplicate
    subscriber.client.on("message", (from: string, message: string) => {
      if (from !== channel) return
      if (message === "*") {
        for (const waiter of waiters.values()) Deferred.unsafeDone(waiter.nudge, Effect.void)
        return
      }
      for (const id of message.split(",")) {
        const waiter = waiters.get(id)
        if (waiter !== undefined) {
          waiter.granted = true
          Deferred.unsafeDone(waiter.nudge, Effect.void)
        }
      }
    })
    yield* subscriber.use(operation("subscribe"), (client) => client.subscribe(channel))

    yield* run("make", limiterScripts.setCapacity, [resolved.permits])

    // One fiber extends every lease this process holds, three times per TTL, in one round trip.
    const refreshAll = Effect.suspend(() => {
      if (held.size === 0) return Effect.void
      return run("refresh", limiterScripts.refresh, [resolved.ttl, ...held.keys()]).pipe(
        Effect.flatMap((reply) => {
          const lost = Array.isArray(reply) ? reply.map(String) : []
          for (const id of lost) held.delete(id)
          return lost.length === 0 ? Effect.void : Effect.logWarning(
            `${operation("refresh")}: ${lost.length} lease(s) expired before they could be refreshed ` +
              `(Redis unreachable or this process stalled for longer than the ${resolved.ttl} ms TTL); ` +
              `their permits may already be held elsewhere`
          )
        }),
        Effect.catchAll((error) => Effect.logWarning(`${error.message}; retrying within the lease TTL`))
      )
    })
    yield* Effect.forkScoped(
      Effect.forever(Effect.zipRight(realTime.sleep(Math.max(1, Math.floor(resolved.ttl / 3))), refreshAll))
    )

    // Give back whatever this instance still holds or waits for when its scope closes (best effort: a lease that
    // cannot be released expires within the TTL).
    yield* Effect.addFinalizer(() =>
      Effect.forEach(
        [...held.keys(), ...waiters.keys()],
        (id) => Effect.ignore(run("close", limiterScripts.release, [id])),
        {
          discard: true
        }
      )
    )

    const giveBack = (id: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        held.delete(id)
        waiters.delete(id)
        return run("release", limiterScripts.release, [id]).pipe(
          Effect.asVoid,
          Effect.catchAll((error) =>
            Effect.logWarning(`${error.message}; the lease will expire within ${resolved.ttl} ms`)
          )
        )
      })

    const releaseOnce = (id: string, permits: number): Effect.Effect<void> => {
      held.set(id, permits)
      let done = false
      return Effect.suspend(() => {
        if (done) return Effect.void
        done = true
        return giveBack(id)
      })
    }

    const tooLarge = (permits: number, capacity: number) =>
      validate.invalid("RedisLimiter.acquire", "permits", `at most the limiter's capacity of ${capacity}`, permits)

    const wait = (
      id: string,
      waiter: Waiter
    ): Effect.Effect<void, RedisError | InvalidArgument.InvalidArgumentError> =>
      Effect.gen(function*() {
        const permits = waiter.permits
        waiter.queued = true
        while (true) {
          yield* realTime.timeoutTo(Deferred.await(waiter.nudge), resolved.poll, () => undefined)
          // Named in a grant message: the permits are ours already, no round trip needed to confirm.
          if (waiter.granted) return
          waiter.nudge = Deferred.unsafeMake<void>(FiberId.none)
          const [status, capacity] = asNumbers(yield* run("acquire", limiterScripts.poll, [id, resolved.ttl]))
          if (status === 1) return
          if (status === -1) return yield* tooLarge(permits, capacity)
          if (status === 2) {
            // Our place in the queue lapsed (this process stalled past the TTL): queue again.
            const [again, cap] = asNumbers(
              yield* run("acquire", limiterScripts.acquire, [id, permits, resolved.ttl, "wait"])
            )
            if (again === 1) return
            if (again === -1) return yield* tooLarge(permits, cap)
          }
        }
      })

    // Whatever happens between sending the first script and handing back the release (interruption, a timeout
    // after Redis did run the script, a failure), the id is given back: it may hold a lease or a place in the queue.
    const guarded = <E>(id: string, body: Effect.Effect<Effect.Effect<void>, E>) =>
      Effect.onExit(body, (exit) => exit._tag === "Success" ? Effect.void : giveBack(id))

    const acquire = (
      permits: number
    ): Effect.Effect<Effect.Effect<void>, RedisError | InvalidArgument.InvalidArgumentError> =>
      Effect.suspend(() => {
        const id = nextId()
        // Listening before the script is sent: a grant published while its reply is on the way is not missed.
        const waiter: Waiter = {
          permits,
          nudge: Deferred.unsafeMake<void>(FiberId.none),
          granted: false,
          queued: false
        }
        waiters.set(id, waiter)
        return guarded(
          id,
          Effect.gen(function*() {
            const [status, capacity] = asNumbers(
              yield* run("acquire", limiterScripts.acquire, [id, permits, resolved.ttl, "wait"])
            )
            if (status === -1) return yield* tooLarge(permits, capacity)
            if (status === 0) yield* wait(id, waiter)
          }).pipe(
            Effect.ensuring(Effect.sync(() => waiters.delete(id))),
            Effect.map(() => releaseOnce(id, permits))
          )
        )
      })

    const tryAcquire = (
      permits: number
    ): Effect.Effect<
      Effect.Effect<void>,
      RedisError | InvalidArgument.InvalidArgumentError | Limiter.LimiterBusyError
    > =>
      Effect.suspend(() => {
        const id = nextId()
        return guarded(
          id,
          Effect.gen(function*() {
            const [status, second, third] = asNumbers(
              yield* run("tryAcquire", limiterScripts.acquire, [id, permits, resolved.ttl, "try"])
            )
            if (status === -1) return yield* tooLarge(permits, second)
            if (status === 0) {
              return yield* new Limiter.LimiterBusyError({
                label: resolved.label,
                requested: permits,
                available: second,
                waiting: third
              })
            }
          }).pipe(Effect.map(() => releaseOnce(id, permits)))
        )
      })

    const backend: Limiter.Backend<RedisError> = {
      label: resolved.label,
      acquire,
      tryAcquire,
      resize: (permits) =>
        Effect.suspend(() => {
          capacity = permits
          return Effect.asVoid(run("resize", limiterScripts.setCapacity, [permits]))
        }),
      statistics: Effect.map(run("statistics", limiterScripts.statistics, []), (reply) => {
        const [shared, inFlight, peakInFlight, totalAcquired] = asNumbers(reply)
        let waiting = 0
        let waitingPermits = 0
        for (const waiter of waiters.values()) {
          if (!waiter.queued) continue
          waiting += 1
          waitingPermits += waiter.permits
        }
        return {
          capacity: shared,
          inFlight,
          available: Math.max(0, shared - inFlight),
          waiting,
          waitingPermits,
          peakInFlight,
          totalAcquired
        }
      })
    }
    return Limiter.fromBackend(backend)
  })

/** @internal */
export const make = (
  options: api.Options
): Effect.Effect<
  Limiter.Limiter<RedisError>,
  InvalidArgument.InvalidArgumentError | RedisError,
  connectionApi.RedisConnection | Scope.Scope
> => Effect.flatMap(resolve("RedisLimiter.make", options), make_)

/** @internal */
export const layer = <I>(
  tag: Context.Tag<I, Limiter.Limiter<RedisError>>,
  options: api.Options
): Layer.Layer<I, InvalidArgument.InvalidArgumentError | RedisError, connectionApi.RedisConnection> =>
  Layer.scoped(tag, Effect.flatMap(resolve("RedisLimiter.layer", options), make_))
