import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import type * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { InvalidArgumentError } from "../InvalidArgument.js"
import type * as WorkQueue from "../WorkQueue.js"
import * as backendInternal from "./backend.js"
import * as timeline from "./timeline.js"
import * as validate from "./validate.js"

/** @internal */
export const TypeId: WorkQueue.TypeId = Symbol.for("@fiberkit/core/WorkQueue") as WorkQueue.TypeId

// E and S are phantom here: they only type the errors the module functions can fail with.
const variance = { _A: (_: any) => _, _E: (_: never) => _, _S: (_: never) => _ }

const failureModes: ReadonlyArray<WorkQueue.FailureMode> = ["fail-fast", "collect"]
const shutdownModes: ReadonlyArray<WorkQueue.ShutdownMode> = ["drain", "discard"]

interface Worker<A> {
  readonly index: number
  fiber: Fiber.RuntimeFiber<void> | undefined
  // The batch taken from Effect's queue and how far the worker got: if it is interrupted,
  // the rest of the batch and the item in hand are reported as discarded, never dropped.
  batch: ReadonlyArray<A>
  position: number
  busy: boolean
  current: A | undefined
  processed: number
}

const emptyBatch: ReadonlyArray<never> = []

/**
 * The storage under Effect's `Queue`: a ring buffer. `Queue.bounded`'s default
 * store builds a batch one `Chunk.prepend` at a time and reverses it, which made
 * `takeUpTo` the most expensive step of the whole queue; this one copies a slice.
 */
class RingBuffer<A> implements Queue.BackingQueue<A> {
  readonly [Queue.BackingQueueTypeId] = { _A: (_: A) => _ }
  private readonly items: Array<A | undefined>
  private head = 0
  private size = 0
  constructor(private readonly limit: number) {
    this.items = new Array(limit)
  }
  poll<Def>(def: Def): A | Def {
    if (this.size === 0) return def
    const item = this.items[this.head] as A
    this.items[this.head] = undefined
    this.head = (this.head + 1) % this.limit
    this.size--
    return item
  }
  pollUpTo(limit: number): Chunk.Chunk<A> {
    const n = Math.min(limit, this.size)
    if (n === 0) return Chunk.empty()
    const out = new Array<A>(n)
    for (let i = 0; i < n; i++) {
      out[i] = this.items[this.head] as A
      this.items[this.head] = undefined
      this.head = this.head + 1 === this.limit ? 0 : this.head + 1
    }
    this.size -= n
    return Chunk.unsafeFromArray(out)
  }
  offerAll(elements: Iterable<A>): Chunk.Chunk<A> {
    const rest: Array<A> = []
    for (const element of elements) {
      if (!this.offer(element)) rest.push(element)
    }
    return Chunk.unsafeFromArray(rest)
  }
  offer(element: A): boolean {
    if (this.size === this.limit) return false
    const tail = this.head + this.size
    this.items[tail >= this.limit ? tail - this.limit : tail] = element
    this.size++
    return true
  }
  capacity(): number {
    return this.limit
  }
  length(): number {
    return this.size
  }
}

type State = "open" | "ended" | "draining" | "discarding" | "failed" | "closed"

/**
 * The machinery. Items live in an Effect `Queue.bounded`; workers take them in
 * small batches with `takeUpTo` (one step, uninterruptible, so an item is never
 * between the queue and a worker when an interruption lands). Waiting, on both
 * sides, happens here rather than in the queue's own `take`/`offer`: a parked
 * worker or producer holds no item, so interrupting it cannot lose one, and a
 * producer that waited once refills a whole batch of room without suspending again.
 *
 * @internal
 */
export class WorkQueueImpl<A, E, M extends WorkQueue.FailureMode> implements WorkQueue.WorkQueue<A, E, M> {
  readonly [TypeId] = variance
  state: State = "open"
  offered = 0
  succeeded = 0
  failed = 0
  discarded = 0
  inFlight = 0
  /** Items in Effect's queue, counted here so the hot path does not allocate an Option per offer. */
  inQueue = 0
  /** Items taken into workers' batches but not started yet: still waiting, so they count against capacity. */
  held = 0
  peakQueued = 0
  readonly discardedItems: Array<A> = []
  readonly failures: Array<WorkQueue.ItemFailure<A, E>> = []
  firstFailure: Cause.Cause<E> | undefined = undefined
  readonly workers: Array<Worker<A>> = []
  alive = 0
  idle: Deferred.Deferred<void> | undefined = undefined
  readonly stopped = Deferred.unsafeMake<void>(FiberId.none)
  report: WorkQueue.ShutdownReport<A> | undefined = undefined
  shutdownMode: WorkQueue.ShutdownMode | undefined = undefined
  /** Workers with nothing to take. */
  readonly parkedWorkers: Array<() => void> = []
  /** Producers waiting for room, first come first served. */
  readonly waitingOffers: Array<() => void> = []

  constructor(
    readonly queue: Queue.Queue<A>,
    readonly capacity: number,
    readonly onFailure: M,
    readonly onClose: WorkQueue.ShutdownMode,
    readonly label: string | undefined,
    readonly interruptor: FiberId.FiberId
  ) {}

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "WorkQueue", label: this.label, state: this.state, ...this.statistics() }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }

  queued(): number {
    return this.inQueue + this.held
  }

  hasRoom(): boolean {
    return this.inQueue + this.held < this.capacity
  }

  statistics(): WorkQueue.Statistics {
    return {
      offered: this.offered,
      queued: this.queued(),
      inFlight: this.inFlight,
      succeeded: this.succeeded,
      failed: this.failed,
      processed: this.succeeded + this.failed,
      discarded: this.discarded,
      waitingOffers: this.waitingOffers.length,
      workers: this.workers.length,
      workersRunning: this.alive,
      processedByWorker: this.workers.map((w) => w.processed),
      capacity: this.capacity,
      peakQueued: this.peakQueued
    }
  }

  settledAll(): boolean {
    return this.succeeded + this.failed + this.discarded === this.offered
  }

  checkIdle(): void {
    if (this.idle !== undefined && (this.settledAll() || this.state === "failed")) {
      Deferred.unsafeDone(this.idle, Exit.void)
      this.idle = undefined
    }
  }

  discard(item: A): void {
    this.discarded++
    this.discardedItems.push(item)
  }

  wakeAll(): void {
    for (const wake of this.parkedWorkers.splice(0)) wake()
    for (const wake of this.waitingOffers.splice(0)) wake()
  }

  /** Parks a worker until there is something to take or the input has ended. */
  parkWorker(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      // Checked at registration, so an offer made since the last take cannot be missed.
      if (this.inQueue > 0 || this.state !== "open") return resume(Effect.void)
      const wake = () => resume(Effect.void)
      this.parkedWorkers.push(wake)
      return Effect.sync(() => remove(this.parkedWorkers, wake))
    })
  }

  /** Parks a producer until there is room (or the queue closes). `first` puts it back at the head. */
  waitForRoom(first: boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      let woken = false
      const wake = () => {
        woken = true
        resume(Effect.void)
      }
      if (first) this.waitingOffers.unshift(wake)
      else this.waitingOffers.push(wake)
      return Effect.sync(() => {
        // Interrupted after being woken: pass the room on, or the next producer would wait for nothing.
        if (woken) this.wakeOffers(1)
        else remove(this.waitingOffers, wake)
      })
    })
  }

  wakeOffers(room: number): void {
    while (room-- > 0 && this.waitingOffers.length > 0) this.waitingOffers.shift()!()
  }

  accepted(): void {
    this.offered++
    if (++this.inQueue + this.held > this.peakQueued) this.peakQueued = this.inQueue + this.held
    if (this.parkedWorkers.length > 0) this.parkedWorkers.shift()!()
  }

  closedError(): WorkQueueClosedError {
    return new WorkQueueClosedError({ label: this.label, reason: this.state === "failed" ? "failed" : "closed" })
  }

  /** Moves everything still queued to the discarded list and closes Effect's queue. */
  discardQueued(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.queue.isActive()) return Effect.void
      return Effect.flatMap(Queue.takeAll(this.queue), (chunk) => {
        this.inQueue = 0
        for (const item of chunk) this.discard(item)
        return Queue.shutdown(this.queue)
      })
    })
  }

  interruptWorkers(except: Worker<A> | undefined): void {
    for (const worker of this.workers) {
      if (worker !== except) worker.fiber?.unsafeInterruptAsFork(this.interruptor)
    }
  }

  failFast(self: Worker<A>, cause: Cause.Cause<E>): Effect.Effect<void> {
    this.state = "failed"
    this.firstFailure = cause
    this.discardRestOfBatch(self)
    this.wakeAll()
    return Effect.tap(this.discardQueued(), () => {
      this.interruptWorkers(self)
      this.checkIdle()
    })
  }

  discardRestOfBatch(worker: Worker<A>): void {
    while (worker.position < worker.batch.length) {
      this.held--
      this.discard(worker.batch[worker.position++]!)
    }
    worker.batch = emptyBatch
    worker.position = 0
  }

  /** Bookkeeping once a handler has ended; true when the queue must stop (fail-fast). */
  record(worker: Worker<A>, item: A, exit: Exit.Exit<unknown, E>): boolean {
    worker.busy = false
    worker.current = undefined
    this.inFlight--
    if (Exit.isSuccess(exit)) {
      worker.processed++
      this.succeeded++
      return false
    }
    if (Cause.isInterruptedOnly(exit.cause) && (this.state === "discarding" || this.state === "failed")) {
      // Interrupted by the queue's own shutdown: the item was not processed.
      this.discard(item)
      return false
    }
    worker.processed++
    this.failed++
    this.failures.push({ item, cause: exit.cause })
    return this.onFailure === "fail-fast" && this.state !== "failed"
  }

  onWorkerExit(worker: Worker<A>): void {
    worker.fiber = undefined
    this.discardRestOfBatch(worker)
    if (worker.busy) {
      this.inFlight--
      this.discard(worker.current as A)
      worker.busy = false
      worker.current = undefined
    }
    this.alive--
    this.checkIdle()
    if (this.alive === 0) Deferred.unsafeDone(this.stopped, Exit.void)
  }
}

const remove = <A>(array: Array<A>, value: A): void => {
  const index = array.indexOf(value)
  if (index >= 0) array.splice(index, 1)
}

/** @internal */
export const isWorkQueue = (u: unknown): u is WorkQueue.WorkQueue<unknown, unknown, WorkQueue.FailureMode, unknown> =>
  Predicate.hasProperty(u, TypeId)

/**
 * A queue whose items live somewhere else (a shared store, with workers in
 * other processes): every operation goes through its `Backend`.
 *
 * @internal
 */
export class BackendWorkQueue<A, E, M extends WorkQueue.FailureMode, S> implements WorkQueue.WorkQueue<A, E, M, S> {
  readonly [TypeId] = variance
  readonly label: string | undefined
  readonly capacity: number
  readonly onFailure: M
  readonly onClose: WorkQueue.ShutdownMode

  constructor(readonly backend: WorkQueue.Backend<A, E, M, S>) {
    this.label = backend.label
    this.capacity = backend.capacity
    this.onFailure = backend.onFailure
    this.onClose = backend.onClose
  }

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    // Its counters are behind an Effect (a network round trip, perhaps): read them with `statistics`.
    return { _id: "WorkQueue", label: this.label, backend: "custom", capacity: this.capacity }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const fromBackend = <A, E, M extends WorkQueue.FailureMode, S>(
  backend: WorkQueue.Backend<A, E, M, S>
): WorkQueue.WorkQueue<A, E, M, S> => {
  const op = "WorkQueue.fromBackend"
  const problem = backendInternal.check(
    op,
    backend,
    ["offer", "offerAll", "shutdown"],
    ["end", "awaitIdle", "statistics", "failures"]
  ) ?? validate.firstProblem(
    validate.positiveInteger(op, "backend.capacity", backend.capacity),
    validate.oneOf(op, "backend.onFailure", failureModes, backend.onFailure),
    validate.oneOf(op, "backend.onClose", shutdownModes, backend.onClose)
  )
  if (problem !== undefined) throw problem
  return new BackendWorkQueue(backend)
}

/** @internal */
export const layer = <I, A, E, M extends WorkQueue.FailureMode, S, R>(
  tag: Context.Tag<I, WorkQueue.WorkQueue<A, E, M, S>>,
  options: WorkQueue.Options<A, E, R, M>
): Layer.Layer<I, InvalidArgumentError, Exclude<R, Scope.Scope>> => Layer.scoped(tag, make(options))

/**
 * Runs `onLocal` for the in-process queue (checked first: the fast path),
 * `onBackend` for any other. A value that is neither is a defect (most of
 * these operations have no error channel for it), reported as an
 * `InvalidArgumentError` naming the operation.
 */
const dispatch = <A, E, M extends WorkQueue.FailureMode, S, X, XE>(
  self: WorkQueue.WorkQueue<A, E, M, S>,
  operation: string,
  onLocal: (queue: WorkQueueImpl<A, E, M>) => Effect.Effect<X, XE>,
  onBackend: (backend: WorkQueue.Backend<A, E, M, S>) => Effect.Effect<X, XE | S>
): Effect.Effect<X, XE | S> =>
  self instanceof WorkQueueImpl ?
    onLocal(self as WorkQueueImpl<A, E, M>) :
    self instanceof BackendWorkQueue ?
    Effect.suspend(() => onBackend((self as BackendWorkQueue<A, E, M, S>).backend)) :
    Effect.die(backendInternal.notOurs(operation, "WorkQueue", self))

/** @internal */
export class WorkQueueClosedError extends Data.TaggedError("WorkQueueClosedError")<{
  readonly label: string | undefined
  readonly reason: "closed" | "failed"
}> {
  override get message(): string {
    const name = this.label === undefined ? "WorkQueue" : `WorkQueue "${this.label}"`
    return this.reason === "failed" ?
      `cannot offer to ${name}: a handler failed and the queue stopped (fail-fast); the item was not accepted` :
      `cannot offer to ${name}: its input has ended (end, shutdown or scope closed); the item was not accepted`
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

const runWorker = <A, E, R, M extends WorkQueue.FailureMode>(
  queue: WorkQueueImpl<A, E, M>,
  worker: Worker<A>,
  handler: (item: A) => Effect.Effect<unknown, E, R>,
  batch: number,
  workers: number
): Effect.Effect<void, never, R> => {
  // Taking and remembering the batch is one uninterruptible step, so no item is ever in limbo.
  const takeBatch = Effect.uninterruptible(Effect.suspend(() => {
    if (!queue.queue.isActive()) return Effect.succeed(0)
    // A fair share of what is queued, at least one, at most `batch`: a deep queue is taken in
    // batches (cheap), a shallow one item by item (so no item waits behind a slow sibling).
    const n = Math.max(1, Math.min(batch, Math.floor(queue.inQueue / workers)))
    return Effect.map(Queue.takeUpTo(queue.queue, n), (chunk) => {
      worker.batch = Chunk.toReadonlyArray(chunk)
      worker.position = 0
      queue.inQueue -= worker.batch.length
      queue.held += worker.batch.length
      // More is queued than this worker took: a parked sibling can start on it.
      if (queue.parkedWorkers.length > 0 && queue.inQueue > 0) queue.parkedWorkers.shift()!()
      return worker.batch.length
    })
  }))
  const runHandler = (item: A, effect: Effect.Effect<unknown, E, R>) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.map(Effect.exit(restore(effect)), (exit) => ({ exit, stop: queue.record(worker, item, exit) }))
    )
  return Effect.gen(function*() {
    while (true) {
      const taken = yield* takeBatch
      if (taken === 0) {
        if (queue.state !== "open") {
          queue.wakeAll()
          return
        }
        yield* queue.parkWorker()
        continue
      }
      while (worker.position < worker.batch.length) {
        const item = worker.batch[worker.position++]!
        queue.held--
        // Room freed: one waiting producer may go on.
        if (queue.waitingOffers.length > 0) queue.wakeOffers(1)
        worker.busy = true
        worker.current = item
        queue.inFlight++
        const effect = callHandler(handler, item)
        let exit: Exit.Exit<unknown, E>
        let stop: boolean
        if (Exit.isExit(effect)) {
          // Already finished (Effect.void, Effect.fail...): nothing to run, the common fast case.
          exit = effect as Exit.Exit<unknown, E>
          stop = queue.record(worker, item, exit)
        } else {
          const outcome = yield* runHandler(item, effect)
          exit = outcome.exit
          stop = outcome.stop
        }
        if (stop) {
          yield* queue.failFast(worker, (exit as Exit.Failure<unknown, E>).cause)
          return
        }
      }
      worker.batch = emptyBatch
      queue.checkIdle()
      // Let the producer and the other workers run between batches: this is what shares the work evenly.
      yield* Effect.yieldNow()
    }
  })
}

/** @internal */
export const make = <A, E, R, M extends WorkQueue.FailureMode>(
  options: WorkQueue.Options<A, E, R, M>
): Effect.Effect<WorkQueue.WorkQueue<A, E, M>, InvalidArgumentError, Scope.Scope | R> =>
  Effect.suspend(() => {
    const op = "WorkQueue.make"
    const problem = typeof options !== "object" || options === null ?
      validate.firstProblem(validate.invalid(op, "options", "an object", options)) :
      validate.firstProblem(
        validate.positiveInteger(op, "capacity", options.capacity),
        validate.positiveInteger(op, "workers", options.workers),
        typeof options.handler === "function" ?
          Either.void :
          validate.invalid(op, "handler", "a function (item) => Effect", options.handler),
        validate.oneOf(op, "onFailure", failureModes, options.onFailure),
        validate.oneOf(op, "onClose", shutdownModes, options.onClose)
      )
    if (problem !== undefined) return Effect.fail(problem)
    return Effect.acquireRelease(
      Effect.gen(function*() {
        const backing = yield* Queue.make(new RingBuffer<A>(options.capacity), Queue.backPressureStrategy<A>())
        const id = yield* Effect.fiberId
        // Past 64 items per batch the saving per item is negligible and the shares get uneven.
        const batch = 64
        const queue = new WorkQueueImpl<A, E, M>(
          backing,
          options.capacity,
          options.onFailure,
          options.onClose,
          options.label,
          id
        )
        for (let index = 0; index < options.workers; index++) {
          const worker: Worker<A> = {
            index,
            fiber: undefined,
            batch: emptyBatch,
            position: 0,
            busy: false,
            current: undefined,
            processed: 0
          }
          queue.workers.push(worker)
          queue.alive++
          // Forked inside acquireRelease's uninterruptible acquire: the workers themselves must stay interruptible.
          const fiber = yield* Effect.forkDaemon(
            Effect.interruptible(runWorker(queue, worker, options.handler, batch, options.workers))
          )
          worker.fiber = fiber
          fiber.addObserver(() => queue.onWorkerExit(worker))
        }
        return queue
      }),
      (queue) => Effect.asVoid(shutdownImpl(queue, queue.onClose))
    )
  })

const offerImpl = <A, E, M extends WorkQueue.FailureMode>(
  queue: WorkQueueImpl<A, E, M>,
  item: A,
  woken: boolean
): Effect.Effect<void, WorkQueue.WorkQueueClosedError> => {
  if (queue.state !== "open") return Effect.fail(queue.closedError())
  // Producers already waiting go first; one that was just woken may take the room it was woken for.
  if ((woken || queue.waitingOffers.length === 0) && queue.hasRoom() && queue.queue.unsafeOffer(item)) {
    queue.accepted()
    return Effect.void
  }
  // The producer's timeline lane shows the backpressure wait (free when no Timeline recording is on).
  return Effect.flatMap(
    timeline.unsafePhase(queue.waitForRoom(woken), "queued: waiting for room", "queued"),
    () => offerImpl(queue, item, true)
  )
}

/** @internal */
export const offer = dual<
  <A>(item: A) => <E, M extends WorkQueue.FailureMode, S>(
    self: WorkQueue.WorkQueue<A, E, M, S>
  ) => Effect.Effect<void, WorkQueue.WorkQueueClosedError | S>,
  <A, E, M extends WorkQueue.FailureMode, S>(
    self: WorkQueue.WorkQueue<A, E, M, S>,
    item: A
  ) => Effect.Effect<void, WorkQueue.WorkQueueClosedError | S>
>((args) => isWorkQueue(args[0]), (self, item) =>
  // The hot path checks for the local queue inline: no closure beyond the one it always made.
  self instanceof WorkQueueImpl ?
    Effect.suspend(() => offerImpl(self, item, false)) :
    dispatch(self, "WorkQueue.offer", (queue) => offerImpl(queue, item, false), (backend) => backend.offer(item)))

const offerAllImpl = <A, E, M extends WorkQueue.FailureMode>(
  queue: WorkQueueImpl<A, E, M>,
  items: Iterable<A>
): Effect.Effect<void, WorkQueue.WorkQueueClosedError> =>
  Effect.suspend(() => {
    const iterator = items[Symbol.iterator]()
    let pending: IteratorResult<any> | undefined = undefined
    // As many items as there is room for in one step; then wait for room, as `offer` does, and go on.
    const loop = (woken: boolean): Effect.Effect<void, WorkQueue.WorkQueueClosedError> => {
      if (queue.state !== "open") return Effect.fail(queue.closedError())
      if (woken || queue.waitingOffers.length === 0) {
        while (true) {
          const next = pending ?? iterator.next()
          pending = undefined
          if (next.done === true) return Effect.void
          if (!queue.hasRoom() || !queue.queue.unsafeOffer(next.value)) {
            pending = next
            break
          }
          queue.accepted()
        }
      }
      return Effect.flatMap(queue.waitForRoom(woken), () => loop(true))
    }
    return loop(false)
  })

/** @internal */
export const offerAll = dual<
  <A>(items: Iterable<A>) => <E, M extends WorkQueue.FailureMode, S>(
    self: WorkQueue.WorkQueue<A, E, M, S>
  ) => Effect.Effect<void, WorkQueue.WorkQueueClosedError | S>,
  <A, E, M extends WorkQueue.FailureMode, S>(
    self: WorkQueue.WorkQueue<A, E, M, S>,
    items: Iterable<A>
  ) => Effect.Effect<void, WorkQueue.WorkQueueClosedError | S>
>((args) => isWorkQueue(args[0]), (self, items) =>
  dispatch(
    self,
    "WorkQueue.offerAll",
    (queue) => offerAllImpl(queue, items),
    (backend) => backend.offerAll(items)
  ))

/** @internal */
export const end = <A, E, M extends WorkQueue.FailureMode, S>(
  self: WorkQueue.WorkQueue<A, E, M, S>
): Effect.Effect<void, S> =>
  dispatch(self, "WorkQueue.end", (queue) =>
    Effect.sync(() => {
      if (queue.state !== "open") return
      queue.state = "ended"
      queue.wakeAll()
    }), (backend) => backend.end)

/** @internal */
export const awaitIdle = <A, E, M extends WorkQueue.FailureMode, S>(
  self: WorkQueue.WorkQueue<A, E, M, S>
): Effect.Effect<void, WorkQueue.FailureOf<M, E> | S> =>
  dispatch(self, "WorkQueue.awaitIdle", (queue) =>
    Effect.suspend(() => {
      const outcome = () =>
        queue.firstFailure !== undefined ?
          Effect.failCause(queue.firstFailure as Cause.Cause<WorkQueue.FailureOf<M, E>>) :
          Effect.void
      if (queue.settledAll() || queue.state === "failed") return outcome()
      queue.idle ??= Deferred.unsafeMake<void>(FiberId.none)
      return Effect.flatMap(Deferred.await(queue.idle), outcome)
    }), (backend) => backend.awaitIdle)

const shutdownImpl = <A, E, M extends WorkQueue.FailureMode>(
  queue: WorkQueueImpl<A, E, M>,
  mode: WorkQueue.ShutdownMode
): Effect.Effect<WorkQueue.ShutdownReport<A>> =>
  Effect.suspend(() => {
    if (queue.shutdownMode !== undefined) return finish(queue)
    queue.shutdownMode = mode
    const failed = queue.state === "failed"
    if (mode === "drain") {
      if (!failed) queue.state = "draining"
      queue.wakeAll()
      return finish(queue)
    }
    if (!failed) queue.state = "discarding"
    queue.wakeAll()
    return queue.discardQueued().pipe(
      Effect.zipRight(Effect.sync(() => queue.interruptWorkers(undefined))),
      Effect.zipRight(finish(queue))
    )
  })

// Waits for the workers to stop; interruptible, so a drain that never ends can be cut short by its caller.
const finish = <A, E, M extends WorkQueue.FailureMode>(
  queue: WorkQueueImpl<A, E, M>
): Effect.Effect<WorkQueue.ShutdownReport<A>> =>
  Effect.map(Deferred.await(queue.stopped), () => {
    if (queue.state !== "failed") queue.state = "closed"
    queue.report ??= {
      mode: queue.shutdownMode!,
      offered: queue.offered,
      processed: queue.succeeded + queue.failed,
      succeeded: queue.succeeded,
      failed: queue.failed,
      discarded: queue.discarded,
      discardedItems: queue.discardedItems.slice(),
      failure: queue.firstFailure
    }
    return queue.report
  })

/** @internal */
export const shutdown = dual<
  (mode: WorkQueue.ShutdownMode) => <A, E, M extends WorkQueue.FailureMode, S>(
    self: WorkQueue.WorkQueue<A, E, M, S>
  ) => Effect.Effect<WorkQueue.ShutdownReport<A>, InvalidArgumentError | S>,
  <A, E, M extends WorkQueue.FailureMode, S>(
    self: WorkQueue.WorkQueue<A, E, M, S>,
    mode: WorkQueue.ShutdownMode
  ) => Effect.Effect<WorkQueue.ShutdownReport<A>, InvalidArgumentError | S>
>(2, (self, mode) =>
  Effect.zipRight(
    validate.all(validate.oneOf("WorkQueue.shutdown", "mode", shutdownModes, mode)),
    dispatch(
      self,
      "WorkQueue.shutdown",
      (queue): Effect.Effect<WorkQueue.ShutdownReport<any>, InvalidArgumentError> => shutdownImpl(queue, mode),
      (backend) => backend.shutdown(mode)
    )
  ))

/** @internal */
export const statistics = <A, E, M extends WorkQueue.FailureMode, S>(
  self: WorkQueue.WorkQueue<A, E, M, S>
): Effect.Effect<WorkQueue.Statistics, S> =>
  dispatch(
    self,
    "WorkQueue.statistics",
    (queue) => Effect.sync(() => queue.statistics()),
    (backend) => backend.statistics
  )

/** @internal */
export const failures = <A, E, M extends WorkQueue.FailureMode, S>(
  self: WorkQueue.WorkQueue<A, E, M, S>
): Effect.Effect<ReadonlyArray<WorkQueue.ItemFailure<A, E>>, S> =>
  dispatch(
    self,
    "WorkQueue.failures",
    (queue) => Effect.sync(() => queue.failures.slice()),
    (backend) => backend.failures
  )
