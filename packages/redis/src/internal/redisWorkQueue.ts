import { WorkQueue } from "@fiberkit/core"
import type { InvalidArgument } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import type * as connectionApi from "../RedisConnection.js"
import type * as api from "../RedisWorkQueue.js"
import * as realTime from "./realTime.js"
import { RedisConnection, type RedisError } from "./redisConnection.js"
import * as lua from "./redisWorkQueueLua.js"
import * as validate from "./validate.js"

type FailureMode = WorkQueue.FailureMode
type ShutdownMode = WorkQueue.ShutdownMode

const failureModes: ReadonlyArray<FailureMode> = ["fail-fast", "collect"]
const shutdownModes: ReadonlyArray<ShutdownMode> = ["drain", "discard"]

/** Items per claim at most: past this the saving per item is small and the shares get uneven. */
const maxBatch = 16
/**
 * How much work (by the handler's recent average time) a worker claims at once: fast handlers get whole
 * batches (one round trip for many items), slow ones one item at a time, so no item waits in one worker's
 * batch while a worker elsewhere is idle.
 */
const batchBudgetMillis = 20
/**
 * How long the item a worker is running may take before the items claimed with it and not started yet are
 * handed back (to the head of the pending list, for any idle worker anywhere): a batch is meant to be about
 * `batchBudgetMillis` of work, so one slow item must not keep the fast ones behind it out of reach.
 */
const holdMillis = batchBudgetMillis
/** Items per offer script: keeps `unpack` in Lua far below its stack limit. */
const offerChunk = 500
const defaultVisibilityMillis = 30_000
/** Pub/sub wakes waiters; the poll is the fallback (pub/sub is at most once) and what notices lapsed claims. */
const defaultPollMillis = 200
const firstPollMillis = 1
/** Backoff of a worker while Redis is unreachable. */
const firstRetryMillis = 50
const maxRetryMillis = 2_000

type State = "open" | "ended" | "draining" | "discarding" | "failed" | "closed"

interface Claimed {
  readonly id: string
  readonly payload: string
  readonly token: string
  readonly deliveries: number
}

interface Worker {
  readonly index: number
  fiber: Fiber.RuntimeFiber<void> | undefined
  /** The last claimed batch and the position of the next item to start. */
  batch: ReadonlyArray<Claimed>
  next: number
  /** The item whose handler is running (claimed, not settled yet), and when it started (performance.now()). */
  current: Claimed | undefined
  startedAt: number
  processed: number
}

interface Reply {
  readonly settled: number
  readonly pending: number
  readonly inflight: number
  readonly ended: boolean
  readonly dropped: number
  readonly claimed: ReadonlyArray<Claimed>
}

interface Shared {
  readonly offered: number
  readonly succeeded: number
  readonly failed: number
  readonly discarded: number
  readonly redelivered: number
  readonly peak: number
  readonly ended: boolean
  readonly pending: number
  readonly inflight: number
}

const parseReply = (raw: unknown): Reply => {
  const reply = raw as ReadonlyArray<string | number>
  const claimed: Array<Claimed> = []
  for (let i = 5; i + 3 < reply.length; i += 4) {
    claimed.push({
      id: String(reply[i]),
      payload: String(reply[i + 1]),
      token: String(reply[i + 2]),
      deliveries: Number(reply[i + 3])
    })
  }
  return {
    settled: Number(reply[0]),
    pending: Number(reply[1]),
    inflight: Number(reply[2]),
    ended: Number(reply[3]) === 1,
    dropped: Number(reply[4]),
    claimed
  }
}

const parseShared = (raw: unknown): Shared => {
  const r = (raw as ReadonlyArray<number>).map(Number)
  return {
    offered: r[0]!,
    succeeded: r[1]!,
    failed: r[2]!,
    discarded: r[3]!,
    redelivered: r[4]!,
    peak: r[5]!,
    ended: r[6] === 1,
    pending: r[7]!,
    inflight: r[8]!
  }
}

const localAndShared = <A, I, E, M extends FailureMode>(
  queue: RedisWorkQueueImpl<A, I, E, M>,
  shared: Shared
): WorkQueue.Statistics => ({
  offered: shared.offered,
  queued: shared.pending,
  inFlight: shared.inflight,
  succeeded: shared.succeeded,
  failed: shared.failed,
  processed: shared.succeeded + shared.failed,
  discarded: shared.discarded,
  waitingOffers: queue.waitingOffers,
  workers: queue.workers.length,
  workersRunning: queue.alive,
  processedByWorker: queue.workers.map((worker) => worker.processed),
  capacity: queue.capacity,
  peakQueued: shared.peak
})

/** @internal */
export const keysFor = (name: string): ReadonlyArray<string> =>
  lua.keyNames.map((key) => `fiberkit:workqueue:{${name}}:${key}`)

/**
 * One process's view of a shared queue: its workers, its producers and its
 * bookkeeping. Everything shared (the items, the counters, the end of input)
 * lives in Redis.
 *
 * @internal
 */
export class RedisWorkQueueImpl<A, I, E, M extends FailureMode> {
  state: State = "open"
  readonly workers: Array<Worker> = []
  alive = 0
  readonly stopped = Deferred.unsafeMake<void>(FiberId.none)
  /** id -> claim token of every item this process holds: what the refresher keeps alive. */
  readonly held = new Map<string, string>()
  readonly failureList: Array<WorkQueue.ItemFailure<A, E>> = []
  firstFailure: Cause.Cause<E> | undefined = undefined
  shutdownMode: ShutdownMode | undefined = undefined
  waitingOffers = 0
  /** Wake-ups for parked workers (an offer from this process) and waiting producers (room freed here). */
  readonly parkedWorkers = new Set<() => void>()
  readonly parkedOffers = new Set<() => void>()
  refresher: Fiber.RuntimeFiber<void> | undefined = undefined
  /**
   * Settlements (id, token, outcome triples) not sent yet, from every worker of this process. The settler fiber
   * sends them as soon as they are here (those that pile up during one round trip go together in the next);
   * a worker's claim takes whatever is waiting too.
   */
  acks: Array<string> = []
  settler: Fiber.RuntimeFiber<void> | undefined = undefined
  readonly parkedSettler = new Set<() => void>()
  /** When the parked settler looks at the workers again (performance.now()); Infinity: only when woken. */
  checkAt = 0
  lostClaims = 0
  readonly consumer: string
  readonly divisor: number

  constructor(
    readonly connection: connectionApi.RedisConnection,
    readonly name: string,
    readonly keys: ReadonlyArray<string>,
    readonly schema: Schema.Schema<A, I>,
    readonly capacity: number,
    readonly workerCount: number,
    readonly onFailure: M,
    readonly onClose: ShutdownMode,
    readonly label: string | undefined,
    readonly visibilityMillis: number,
    readonly pollMillis: number,
    readonly maxDeliveries: number
  ) {
    this.consumer = `${Os.hostname()}:${process.pid}:${Crypto.randomBytes(4).toString("hex")}`
    // A fair share per claim: a shallow queue is handed out item by item, a deep one in batches.
    this.divisor = Math.max(1, workerCount) * 2
  }

  get displayName(): string {
    return this.label === undefined ? `RedisWorkQueue "${this.name}"` : `RedisWorkQueue "${this.label}"`
  }

  closedError(): WorkQueue.WorkQueueClosedError {
    return new WorkQueue.WorkQueueClosedError({
      label: this.label ?? this.name,
      reason: this.state === "failed" ? "failed" : "closed"
    })
  }

  wake(set: Set<() => void>): void {
    for (const wake of set) wake()
    set.clear()
  }

  wakeAll(): void {
    this.wake(this.parkedWorkers)
    this.wake(this.parkedOffers)
  }

  /** Sleeps up to `millis` of real time (clamped to what `setTimeout` honours), or until this process wakes the set. */
  park(set: Set<() => void>, millis: number): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const wake = () => {
        clearTimeout(timer)
        resume(Effect.void)
      }
      const timer = setTimeout(() => {
        set.delete(wake)
        resume(Effect.void)
      }, realTime.timerMillis(millis))
      set.add(wake)
      return Effect.sync(() => {
        clearTimeout(timer)
        set.delete(wake)
      })
    })
  }

  run(operation: string, script: connectionApi.Script, args: ReadonlyArray<string | number>) {
    return this.connection.run(operation, script, this.keys, args)
  }

  /** Records how a claimed item ended (or that it goes back unprocessed: "r"); the settler sends it at once. */
  settle(item: Claimed, outcome: "s" | "f" | "d" | "r"): void {
    this.acks.push(item.id, item.token, outcome)
    this.wake(this.parkedSettler)
  }

  /**
   * Sends every settlement waiting in this process and claims up to `maxTake` more, in one atomic step and
   * one uninterruptible round trip: a claim whose reply was lost to an interruption would leave items held by
   * nobody until their visibility timeout. If the round trip fails, the settlements wait for the next one
   * (sending one twice is harmless: the second counts nothing).
   */
  exchange(maxTake: number): Effect.Effect<Reply, RedisError> {
    return Effect.uninterruptible(Effect.suspend(() => {
      const settle = this.acks
      this.acks = []
      return this.run("RedisWorkQueue.claim", lua.settleAndClaim, [
        this.consumer,
        this.visibilityMillis,
        maxTake,
        this.divisor,
        this.maxDeliveries,
        settle.length / 3,
        ...settle
      ]).pipe(
        Effect.map((raw) => {
          for (let i = 0; i < settle.length; i += 3) this.held.delete(settle[i]!)
          const reply = parseReply(raw)
          for (const item of reply.claimed) this.held.set(item.id, item.token)
          if (settle.length > 0) this.wake(this.parkedOffers)
          return reply
        }),
        Effect.tapError(() =>
          Effect.sync(() => {
            this.acks = settle.concat(this.acks)
          })
        )
      )
    }))
  }

  /**
   * Hands back the unstarted items of every batch whose running item has taken longer than `holdMillis`
   * (they go out with the next settlement). Returns how long until the next batch could be due, or Infinity.
   */
  releaseOverdue(now: number): number {
    let wait = Infinity
    for (const worker of this.workers) {
      if (worker.current === undefined || worker.next >= worker.batch.length) continue
      const due = worker.startedAt + holdMillis
      if (due > now) {
        wait = Math.min(wait, due - now)
        continue
      }
      for (let i = worker.next; i < worker.batch.length; i++) this.settle(worker.batch[i]!, "r")
      worker.batch = worker.batch.slice(0, worker.next)
    }
    return wait
  }

  shared(operation: string): Effect.Effect<Shared, RedisError> {
    return Effect.map(this.run(operation, lua.stats, []), parseShared)
  }

  decode(payload: string): Either.Either<A, unknown> {
    try {
      return Either.mapLeft(
        ParseResult.decodeUnknownEither(this.schema)(JSON.parse(payload)),
        (error) => error as unknown
      )
    } catch (error) {
      return Either.left(error)
    }
  }

  encode(operation: string, item: A): string {
    const encoded = ParseResult.encodeEither(this.schema)(item)
    if (Either.isLeft(encoded)) {
      throw validate.invalid(
        operation,
        "item",
        `a value its schema can encode (${ParseResult.TreeFormatter.formatIssueSync(encoded.left)})`,
        item
      )
    }
    let json: string | undefined
    try {
      json = JSON.stringify(encoded.right)
    } catch {
      json = undefined // a bigint or a cycle in the encoded form
    }
    if (typeof json !== "string") {
      throw validate.invalid(operation, "item", "a value whose encoded form is JSON", item)
    }
    return json
  }

  onWorkerExit(): void {
    this.alive--
    if (this.alive === 0) Deferred.unsafeDone(this.stopped, Exit.void)
  }
}

// A handler that throws instead of returning an effect is a defect of that item, not of the worker.
const callHandler = <A, E, R>(handler: (item: A) => Effect.Effect<unknown, E, R>, item: A) => {
  try {
    return handler(item)
  } catch (defect) {
    return Exit.die(defect)
  }
}

const runWorker = <A, I, E, R, M extends FailureMode>(
  queue: RedisWorkQueueImpl<A, I, E, M>,
  worker: Worker,
  handler: (item: A) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, never, R> => {
  const stopping = () => queue.state === "discarding" || queue.state === "failed" || queue.state === "closed"
  // Redis unreachable: keep the results and try again with backoff; a draining or stopping queue gives up
  // instead (its claims expire and are redelivered), so a shutdown never hangs on a dead server.
  const exchangeWithRetry = (maxTake: number): Effect.Effect<Reply | void> => {
    const attempt = (delay: number, warned: boolean): Effect.Effect<Reply | void> =>
      Effect.matchEffect(queue.exchange(maxTake), {
        onSuccess: (reply) =>
          warned ?
            Effect.as(Effect.logInfo(`${queue.displayName}: worker ${worker.index} reached Redis again`), reply) :
            Effect.succeed(reply),
        onFailure: (error) => {
          if (stopping() || queue.state === "draining") return Effect.void
          const warn = warned ? Effect.void : Effect.logWarning(
            `${queue.displayName}: worker ${worker.index} cannot reach Redis (${error.message}); retrying with backoff`
          )
          return warn.pipe(
            Effect.zipRight(queue.park(queue.parkedWorkers, delay)),
            Effect.zipRight(attempt(Math.min(delay * 2, maxRetryMillis), true))
          )
        }
      })
    return attempt(firstRetryMillis, false)
  }
  const settle = (item: Claimed, outcome: "s" | "f" | "d" | "r") => queue.settle(item, outcome)
  const runHandler = (effect: Effect.Effect<unknown, E, R>) =>
    Effect.uninterruptibleMask((restore) => Effect.exit(restore(effect)))

  const loop = Effect.gen(function*() {
    let poll = firstPollMillis
    let take = 1
    while (true) {
      // Draining (a warm shutdown): this process claims nothing more. What it already holds is finished
      // (the inner loop below goes on); what is pending stays for the other processes.
      if (stopping() || queue.state === "draining") return
      const reply = yield* exchangeWithRetry(take)
      if (reply === undefined) return
      if (reply.dropped > 0) {
        yield* Effect.logWarning(
          `${queue.displayName}: ${reply.dropped} item(s) claimed more than ${queue.maxDeliveries} times ` +
            `(their workers died or lost them) were dropped; they are kept in ${queue.keys[6]}`
        )
      }
      if (reply.claimed.length === 0) {
        // The shared input has ended and nothing is left anywhere (not even in another worker's hands,
        // which could still come back if that worker dies): done.
        if (reply.ended && reply.pending === 0 && reply.inflight === 0) return
        yield* queue.park(queue.parkedWorkers, poll)
        poll = Math.min(poll * 2, queue.pollMillis)
        continue
      }
      poll = firstPollMillis
      worker.batch = reply.claimed
      worker.next = 0
      const batchStart = performance.now()
      let started = 0
      while (worker.next < worker.batch.length) {
        if (stopping()) return
        const claimed = worker.batch[worker.next++]!
        started++
        worker.current = claimed
        worker.startedAt = performance.now()
        // Items wait behind this one: the settler hands them back if it runs long.
        if (worker.next < worker.batch.length && queue.checkAt === Infinity) queue.wake(queue.parkedSettler)
        const decoded = queue.decode(claimed.payload)
        if (Either.isLeft(decoded)) {
          // Poison: no handler can ever see it. Counted as discarded instead of redelivered forever.
          worker.current = undefined
          settle(claimed, "d")
          yield* Effect.logWarning(
            `${queue.displayName}: item ${claimed.id} does not decode with the queue's schema; discarded`
          )
          continue
        }
        const item = decoded.right
        const effect = callHandler(handler, item)
        const exit = Exit.isExit(effect) ? (effect as Exit.Exit<unknown, E>) : yield* runHandler(effect)
        if (Exit.isSuccess(exit)) {
          worker.current = undefined
          worker.processed++
          settle(claimed, "s")
          continue
        }
        if (Cause.isInterruptedOnly(exit.cause) && stopping()) {
          // Interrupted by this process's own shutdown or fail-fast stop: not processed; handed back below.
          return
        }
        worker.current = undefined
        worker.processed++
        settle(claimed, "f")
        queue.failureList.push({ item, cause: exit.cause })
        if (queue.onFailure === "fail-fast" && queue.state !== "failed") {
          queue.state = "failed"
          queue.firstFailure = exit.cause
          queue.wakeAll()
          for (const other of queue.workers) {
            if (other !== worker) other.fiber?.unsafeInterruptAsFork(FiberId.none)
          }
          return
        }
      }
      const perItem = (performance.now() - batchStart) / Math.max(1, started)
      take = Math.max(1, Math.min(maxBatch, Math.floor(batchBudgetMillis / Math.max(perItem, 0.001))))
      worker.batch = []
      worker.next = 0
    }
  })
  // Whatever way the worker ends, what it finished is reported and what it holds is handed back now,
  // rather than waiting out the visibility timeout. If Redis is down this fails and the timeout does it.
  const handBack = Effect.suspend(() => {
    if (worker.current !== undefined) settle(worker.current, "r")
    while (worker.next < worker.batch.length) settle(worker.batch[worker.next++]!, "r")
    worker.current = undefined
    worker.batch = []
    worker.next = 0
    if (queue.acks.length === 0) return Effect.void
    return Effect.ignore(queue.exchange(0))
  })
  return Effect.ensuring(loop, handBack)
}

/**
 * Sends settlements as soon as workers record them, so an item is acknowledged about one round trip after its
 * handler ends, not when its worker next claims: a process killed in the middle of a batch gets the items it
 * finished counted, not redelivered. Settlements recorded during a round trip go together in the next one.
 * Between round trips it also hands back the unstarted items behind a long-running one (`releaseOverdue`).
 */
const settleLoop = <A, I, E, M extends FailureMode>(
  queue: RedisWorkQueueImpl<A, I, E, M>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    let delay = firstRetryMillis
    let warned = false
    while (true) {
      queue.checkAt = 0
      const wait = queue.releaseOverdue(performance.now())
      if (queue.acks.length === 0) {
        queue.checkAt = performance.now() + wait
        yield* queue.park(queue.parkedSettler, wait)
        continue
      }
      const sent = yield* Effect.either(queue.exchange(0))
      if (Either.isRight(sent)) {
        if (warned) yield* Effect.logInfo(`${queue.displayName}: reached Redis again; settlements sent`)
        warned = false
        delay = firstRetryMillis
        continue
      }
      // Redis unreachable: the settlements stay here and go out when it is back (or the claims expire and
      // the items are redelivered, if it is not back in time). Not woken by new settlements meanwhile.
      if (!warned) {
        yield* Effect.logWarning(
          `${queue.displayName}: cannot send settlements to Redis (${sent.left.message}); retrying with backoff`
        )
      }
      warned = true
      yield* realTime.sleep(delay)
      delay = Math.min(delay * 2, maxRetryMillis)
    }
  })

const refreshLoop = <A, I, E, M extends FailureMode>(
  queue: RedisWorkQueueImpl<A, I, E, M>
): Effect.Effect<void> => {
  // Three refreshes per visibility timeout: one lost round trip does not lose a claim.
  const every = Math.max(10, Math.floor(queue.visibilityMillis / 3))
  const once = Effect.suspend(() => {
    if (queue.held.size === 0) return Effect.void
    const args: Array<string | number> = [queue.visibilityMillis]
    for (const [id, token] of queue.held) args.push(id, token)
    return queue.run("RedisWorkQueue.refresh", lua.refresh, args).pipe(
      Effect.flatMap((lost) => {
        const ids = lost as ReadonlyArray<string>
        const stillHeld = ids.filter((id) => queue.held.has(id))
        if (stillHeld.length === 0) return Effect.void
        queue.lostClaims += stillHeld.length
        return Effect.logWarning(
          `${queue.displayName}: the claim on ${stillHeld.length} item(s) expired before it could be refreshed; ` +
            `they may be processed twice (at-least-once)`
        )
      }),
      // Redis unreachable: the next tick tries again; claims outliving an outage are redelivered.
      Effect.ignore
    )
  })
  return Effect.forever(Effect.zipRight(realTime.sleep(every), once))
}

/** @internal */
export const validateOptions = <A, I, E, R, M extends FailureMode>(
  operation: string,
  options: api.Options<A, I, E, R, M>
): Either.Either<
  { readonly visibilityMillis: number; readonly pollMillis: number; readonly maxDeliveries: number },
  InvalidArgument.InvalidArgumentError
> => {
  const shape = validate.object(operation, "options", options)
  if (shape !== undefined) return Either.left(shape)
  const problem = validate.nonEmptyString(operation, "name", options.name) ??
    (/[{}]/.test(options.name)
      ? validate.invalid(operation, "name", "a name without { or }", options.name)
      : undefined) ??
    (Schema.isSchema(options.schema) ? undefined : validate.invalid(operation, "schema", "a Schema", options.schema)) ??
    validate.positiveInteger(operation, "capacity", options.capacity) ??
    (typeof options.workers === "number" && Number.isSafeInteger(options.workers) && options.workers >= 0 ?
      undefined :
      validate.invalid(
        operation,
        "workers",
        "a non-negative integer (0: this process only offers)",
        options.workers
      )) ??
    (typeof options.handler === "function" ?
      undefined :
      validate.invalid(operation, "handler", "a function (item) => Effect", options.handler)) ??
    oneOf(operation, "onFailure", failureModes, options.onFailure) ??
    oneOf(operation, "onClose", shutdownModes, options.onClose) ??
    validate.optionalString(operation, "label", options.label)
  if (problem !== undefined) return Either.left(problem)
  let visibilityMillis = defaultVisibilityMillis
  if (options.visibilityTimeout !== undefined) {
    const decoded = validate.positiveDuration(operation, "visibilityTimeout", options.visibilityTimeout)
    if (!("millis" in decoded)) return Either.left(decoded)
    visibilityMillis = Math.max(1, Math.ceil(decoded.millis))
  }
  let pollMillis = defaultPollMillis
  if (options.pollInterval !== undefined) {
    const decoded = validate.positiveDuration(operation, "pollInterval", options.pollInterval)
    if (!("millis" in decoded)) return Either.left(decoded)
    pollMillis = Math.max(1, Math.ceil(decoded.millis))
  }
  if (options.maxDeliveries !== undefined) {
    const problem = validate.positiveInteger(operation, "maxDeliveries", options.maxDeliveries)
    if (problem !== undefined) return Either.left(problem)
  }
  return Either.right({ visibilityMillis, pollMillis, maxDeliveries: options.maxDeliveries ?? 0 })
}

const oneOf = (operation: string, argument: string, allowed: ReadonlyArray<string>, value: unknown) =>
  typeof value === "string" && allowed.includes(value) ?
    undefined :
    validate.invalid(operation, argument, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value)

/**
 * What `WorkQueue.fromBackend` dispatches to.
 *
 * @internal
 */
export const backend = <A, I, E, M extends FailureMode>(
  queue: RedisWorkQueueImpl<A, I, E, M>
): WorkQueue.Backend<A, E, M, RedisError> => {
  const offerAll = (items: Iterable<A>): Effect.Effect<void, WorkQueue.WorkQueueClosedError | RedisError> =>
    Effect.suspend(() => {
      if (queue.state !== "open") return Effect.fail(queue.closedError())
      let payloads: Array<string>
      try {
        payloads = Array.from(items, (item) => queue.encode("RedisWorkQueue.offer", item))
      } catch (error) {
        // Not in offer's error channel (the WorkQueue interface has none for it): a defect at the call.
        return Effect.die(error)
      }
      let position = 0
      let poll = firstPollMillis
      const loop: Effect.Effect<void, WorkQueue.WorkQueueClosedError | RedisError> = Effect.suspend(() => {
        if (position >= payloads.length) return Effect.void
        if (queue.state !== "open") return Effect.fail(queue.closedError())
        const chunk = payloads.slice(position, position + offerChunk)
        return Effect.flatMap(queue.run("RedisWorkQueue.offer", lua.offer, [queue.capacity, ...chunk]), (raw) => {
          const accepted = Number(raw)
          if (accepted < 0) {
            if (queue.state === "open") queue.state = "ended"
            queue.wakeAll()
            return Effect.fail(queue.closedError())
          }
          if (accepted > 0) {
            position += accepted
            poll = firstPollMillis
            queue.wake(queue.parkedWorkers)
            return loop
          }
          // Full: wait for room (a settle in this process wakes us at once; other processes' by polling).
          queue.waitingOffers++
          return queue.park(queue.parkedOffers, poll).pipe(
            Effect.ensuring(Effect.sync(() => queue.waitingOffers--)),
            Effect.zipRight(Effect.suspend(() => {
              poll = Math.min(poll * 2, queue.pollMillis)
              return loop
            }))
          )
        })
      })
      return loop
    })

  const awaitIdle: Effect.Effect<void, WorkQueue.FailureOf<M, E> | RedisError> = Effect.suspend(() => {
    let poll = firstPollMillis
    const check: Effect.Effect<void, WorkQueue.FailureOf<M, E> | RedisError> = Effect.suspend(() => {
      if (queue.firstFailure !== undefined) {
        return Effect.failCause(queue.firstFailure as Cause.Cause<WorkQueue.FailureOf<M, E>>)
      }
      return Effect.flatMap(queue.shared("RedisWorkQueue.awaitIdle"), (shared) => {
        if (shared.pending === 0 && shared.inflight === 0) return Effect.void
        return Effect.zipRight(
          queue.park(queue.parkedOffers, poll),
          Effect.suspend(() => {
            poll = Math.min(poll * 2, queue.pollMillis)
            return check
          })
        )
      })
    })
    return check
  })

  const finish = (mode: ShutdownMode) =>
    Effect.gen(function*() {
      yield* Deferred.await(queue.stopped)
      if (queue.refresher !== undefined) yield* Fiber.interrupt(queue.refresher)
      if (queue.settler !== undefined) yield* Fiber.interrupt(queue.settler)
      // Settlements the settler had no chance to send (Redis was unreachable): one last try, then the claims
      // expire and their items are redelivered.
      if (queue.acks.length > 0) yield* Effect.ignore(queue.exchange(0))
      if (queue.state !== "failed") queue.state = "closed"
      const shared = yield* queue.shared("RedisWorkQueue.shutdown")
      return {
        mode: queue.shutdownMode ?? mode,
        offered: shared.offered,
        processed: shared.succeeded + shared.failed,
        succeeded: shared.succeeded,
        failed: shared.failed,
        discarded: shared.discarded,
        discardedItems: [],
        failure: queue.firstFailure
      } satisfies WorkQueue.ShutdownReport<A>
    })

  const shutdown = (
    mode: ShutdownMode
  ): Effect.Effect<WorkQueue.ShutdownReport<A>, InvalidArgument.InvalidArgumentError | RedisError> =>
    Effect.suspend(
      (): Effect.Effect<WorkQueue.ShutdownReport<A>, InvalidArgument.InvalidArgumentError | RedisError> => {
        const problem = oneOf("RedisWorkQueue.shutdown", "mode", shutdownModes, mode)
        if (problem !== undefined) return Effect.fail(problem)
        if (queue.shutdownMode === undefined) {
          queue.shutdownMode = mode
          if (queue.state !== "failed") queue.state = mode === "drain" ? "draining" : "discarding"
          queue.wakeAll()
          if (mode === "discard") {
            for (const worker of queue.workers) worker.fiber?.unsafeInterruptAsFork(FiberId.none)
          }
        }
        return finish(mode)
      }
    )

  return {
    label: queue.label,
    capacity: queue.capacity,
    onFailure: queue.onFailure,
    onClose: queue.onClose,
    offer: (item) => offerAll([item]),
    offerAll,
    end: Effect.suspend(() =>
      Effect.map(queue.run("RedisWorkQueue.end", lua.end, []), () => {
        if (queue.state === "open") queue.state = "ended"
        queue.wakeAll()
      })
    ),
    awaitIdle,
    shutdown,
    statistics: Effect.map(queue.shared("RedisWorkQueue.statistics"), (shared) => localAndShared(queue, shared)),
    failures: Effect.sync(() => queue.failureList.slice())
  }
}

/** @internal */
export const make = <A, I, E, R, M extends FailureMode>(
  options: api.Options<A, I, E, R, M>
): Effect.Effect<
  WorkQueue.WorkQueue<A, E, M, RedisError>,
  InvalidArgument.InvalidArgumentError | RedisError,
  connectionApi.RedisConnection | Scope.Scope | R
> =>
  Effect.gen(function*() {
    const checked = validateOptions("RedisWorkQueue.make", options)
    if (Either.isLeft(checked)) return yield* checked.left
    const connection = yield* RedisConnection
    const queue = new RedisWorkQueueImpl<A, I, E, M>(
      connection,
      options.name,
      keysFor(options.name),
      options.schema,
      options.capacity,
      options.workers,
      options.onFailure,
      options.onClose,
      options.label,
      checked.right.visibilityMillis,
      checked.right.pollMillis,
      checked.right.maxDeliveries
    )
    const self = backend(queue)
    // Reach Redis once now: a wrong URL or a server that is down is an error here, not a silent idle queue.
    yield* queue.shared("RedisWorkQueue.make")
    // Wake-ups from the scripts of every process: new items for idle workers, room for waiting producers,
    // "idle" and "end" for awaitIdle and awaitEnd. Channels are not prefixed by ioredis: the prefix is added here.
    const channel = `${connection.keyPrefix}${queue.keys[0]}:wake`
    const subscriber = yield* connection.duplicate
    subscriber.client.on("message", (from: string, message: string) => {
      if (from !== channel) return
      if (message === "item") queue.wake(queue.parkedWorkers)
      else if (message === "room") queue.wake(queue.parkedOffers)
      else queue.wakeAll()
    })
    yield* subscriber.use("RedisWorkQueue.subscribe", (client) => client.subscribe(channel))
    yield* Effect.acquireRelease(
      Effect.gen(function*() {
        if (options.workers === 0) Deferred.unsafeDone(queue.stopped, Exit.void)
        for (let index = 0; index < options.workers; index++) {
          const worker: Worker = {
            index,
            fiber: undefined,
            batch: [],
            next: 0,
            current: undefined,
            startedAt: 0,
            processed: 0
          }
          queue.workers.push(worker)
          queue.alive++
          // Forked inside acquireRelease's uninterruptible acquire: the workers themselves must stay interruptible.
          const fiber = yield* Effect.forkDaemon(Effect.interruptible(runWorker(queue, worker, options.handler)))
          worker.fiber = fiber
          fiber.addObserver(() => queue.onWorkerExit())
        }
        if (options.workers > 0) {
          queue.refresher = yield* Effect.forkDaemon(Effect.interruptible(refreshLoop(queue)))
          queue.settler = yield* Effect.forkDaemon(Effect.interruptible(settleLoop(queue)))
        }
      }),
      () =>
        self.shutdown(queue.onClose).pipe(
          Effect.catchAll((error) =>
            Effect.logWarning(
              `${queue.displayName}: closing its scope could not read the final figures (${error.message})`
            )
          )
        )
    )
    const workQueue = WorkQueue.fromBackend(self)
    registry.set(workQueue, queue)
    return workQueue
  })

// The WorkQueue handed out is core's wrapper around the backend; the Redis-only functions find their queue here.
const registry = new WeakMap<object, RedisWorkQueueImpl<any, any, any, any>>()

const lookup = <A, E, M extends FailureMode>(
  operation: string,
  self: WorkQueue.WorkQueue<A, E, M, RedisError>
): Either.Either<RedisWorkQueueImpl<A, unknown, E, M>, InvalidArgument.InvalidArgumentError> => {
  const queue = typeof self === "object" && self !== null ? registry.get(self) : undefined
  return queue === undefined ?
    Either.left(validate.invalid(operation, "self", "a queue made by RedisWorkQueue.make", self)) :
    Either.right(queue)
}

/** @internal */
export const layer = <Id, A, I, E, R, M extends FailureMode>(
  tag: Context.Tag<Id, WorkQueue.WorkQueue<A, E, M, RedisError>>,
  options: api.Options<A, I, E, R, M>
): Layer.Layer<
  Id,
  InvalidArgument.InvalidArgumentError | RedisError,
  connectionApi.RedisConnection | Exclude<R, Scope.Scope>
> => Layer.scoped(tag, make(options))

/** @internal */
export const awaitEnd = <A, E, M extends FailureMode>(
  self: WorkQueue.WorkQueue<A, E, M, RedisError>
): Effect.Effect<void, WorkQueue.FailureOf<M, E> | RedisError | InvalidArgument.InvalidArgumentError> =>
  Effect.suspend(
    (): Effect.Effect<void, WorkQueue.FailureOf<M, E> | RedisError | InvalidArgument.InvalidArgumentError> => {
      const found = lookup("RedisWorkQueue.awaitEnd", self)
      if (Either.isLeft(found)) return Effect.fail(found.left)
      const queue = found.right
      let poll = firstPollMillis
      const check: Effect.Effect<void, WorkQueue.FailureOf<M, E> | RedisError> = Effect.suspend(() => {
        if (queue.firstFailure !== undefined) {
          return Effect.failCause(queue.firstFailure as Cause.Cause<WorkQueue.FailureOf<M, E>>)
        }
        return Effect.flatMap(queue.shared("RedisWorkQueue.awaitEnd"), (shared) => {
          if (shared.ended && shared.pending === 0 && shared.inflight === 0) return Effect.void
          return Effect.zipRight(
            queue.park(queue.parkedOffers, poll),
            Effect.suspend(() => {
              poll = Math.min(poll * 2, queue.pollMillis)
              return check
            })
          )
        })
      })
      return check
    }
  )

/** @internal */
export const statistics = <A, E, M extends FailureMode>(
  self: WorkQueue.WorkQueue<A, E, M, RedisError>
): Effect.Effect<api.RedisStatistics, RedisError | InvalidArgument.InvalidArgumentError> =>
  Effect.suspend((): Effect.Effect<api.RedisStatistics, RedisError | InvalidArgument.InvalidArgumentError> => {
    const found = lookup("RedisWorkQueue.statistics", self)
    if (Either.isLeft(found)) return Effect.fail(found.left)
    const queue = found.right
    return Effect.map(queue.shared("RedisWorkQueue.statistics"), (shared) => ({
      ...localAndShared(queue, shared),
      redelivered: shared.redelivered,
      ended: shared.ended,
      claimsLost: queue.lostClaims
    }))
  })
