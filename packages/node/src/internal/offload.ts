import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeWorker from "@effect/platform-node/NodeWorker"
import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as Worker from "@effect/platform/Worker"
import * as WorkerError from "@effect/platform/WorkerError"
import * as WorkerRunner from "@effect/platform/WorkerRunner"
import { InvalidArgumentError } from "@fiberkit/core/InvalidArgument"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as WorkerThreads from "node:worker_threads"
import type * as Offload from "../Offload.js"
import type * as ThreadBridge from "../ThreadBridge.js"
import { type FunctionError, RunFunction } from "./functionRequest.js"

/** @internal */
export const TypeId: Offload.TypeId = Symbol.for("@fiberkit/node/Offload") as Offload.TypeId

/** @internal */
export const ErrorTypeId: Offload.ErrorTypeId = Symbol.for("@fiberkit/node/Offload/OffloadError") as Offload.ErrorTypeId

/** @internal */
export class OffloadError extends Data.TaggedError("OffloadError")<{
  readonly reason: Offload.OffloadError.Reason
  readonly pool: string
  readonly request: string | undefined
  readonly detail: string
  readonly cause?: unknown
}> {
  readonly [ErrorTypeId]: Offload.ErrorTypeId = ErrorTypeId
  override get message(): string {
    const what = this.request === undefined ? this.pool : `${this.pool} (${this.request})`
    return `Offload ${what}: ${this.reason}: ${this.detail}`
  }
}

/** @internal */
export const isOffloadError = (u: unknown): u is Offload.OffloadError => Predicate.hasProperty(u, ErrorTypeId)

/** @internal */
export const isPool = (u: unknown): u is Offload.Pool<any> => Predicate.hasProperty(u, TypeId)

const invalid = (operation: string, argument: string, expected: string, actual: unknown) =>
  new InvalidArgumentError({ operation, argument, expected, actual })

/** @internal */
export const resolveEntry = (operation: string, entry: unknown): URL | InvalidArgumentError => {
  let url: URL
  try {
    if (entry instanceof URL) url = entry
    else if (typeof entry === "string" && entry.startsWith("file:")) url = new URL(entry)
    else if (typeof entry === "string" && entry.length > 0) url = pathToFileURL(entry)
    else return invalid(operation, "entry", "a file URL or path of a worker module", entry)
  } catch {
    return invalid(operation, "entry", "a file URL or path of a worker module", entry)
  }
  if (url.protocol !== "file:" || !fs.existsSync(fileURLToPath(url))) {
    return invalid(operation, "entry", "an existing worker module file", url.href)
  }
  return url
}

// A worker thread does not inherit the parent's TypeScript loader (under vitest or a
// plain `node` there is none), so a .ts entry is started through a tiny ESM shim that
// registers tsx in the worker first.
const tsxApi = (): string | undefined => {
  try {
    const cjs = createRequire(import.meta.url).resolve("tsx/esm/api")
    const esm = cjs.replace(/index\.cjs$/, "index.mjs")
    return fs.existsSync(esm) ? pathToFileURL(esm).href : undefined
  } catch {
    return undefined
  }
}

const spawnThread = (
  entry: URL,
  workerData: unknown,
  transferList: Array<WorkerThreads.TransferListItem>
): WorkerThreads.Worker => {
  if (!/\.(c|m)?ts$/.test(entry.pathname)) return new WorkerThreads.Worker(entry, { workerData, transferList })
  const api = tsxApi()
  if (api === undefined) {
    throw new Error(`cannot run ${entry.href}: a .ts worker needs the tsx package to be installed`)
  }
  const shim = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${
    JSON.stringify(entry.href)
  }) })`
  return new WorkerThreads.Worker(shim, { eval: true, workerData, transferList })
}

// Ends a worker thread. terminate() on a thread that has already exited may never
// settle, so it is skipped then, and bounded by a real timer (not the fiber's Clock).
const terminateThread = (thread: WorkerThreads.Worker, exited: { readonly value: boolean }) =>
  Effect.suspend(() =>
    exited.value ? Effect.void : Effect.promise(() =>
      Promise.race([
        thread.terminate(),
        new Promise((resolve) => setTimeout(resolve, 2_000).unref())
      ])
    )
  )

interface Slot<I extends Schema.TaggedRequest.All> {
  readonly worker: Worker.SerializedWorker<I>
  readonly thread: WorkerThreads.Worker
  readonly scope: Scope.CloseableScope
  readonly exited: { value: boolean }
}

interface Counters {
  started: number
  completed: number
  failed: number
  interrupted: number
  crashed: number
  replaced: number
  busy: number
  waiting: number
}

class PoolImpl<I extends Schema.TaggedRequest.All> implements Offload.Pool<I> {
  readonly [TypeId]: Offload.TypeId = TypeId
  constructor(
    readonly name: string,
    readonly size: number,
    readonly entry: URL,
    readonly counters: Counters,
    readonly idle: Queue.Queue<Slot<I>>,
    readonly broken: Deferred.Deferred<never, OffloadError>,
    readonly replace: (slot: Slot<I>) => Effect.Effect<void>
  ) {}
  get statistics(): Effect.Effect<Offload.Statistics> {
    // Queue.size interrupts once the queue is shut down: a closed pool has no idle worker.
    return Effect.flatMap(Queue.isShutdown(this.idle), (shut) => shut ? Effect.succeed(0) : Queue.size(this.idle)).pipe(
      Effect.map((idle) => ({ ...this.counters, size: this.size, idle }))
    )
  }
  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "Offload.Pool", name: this.name, size: this.size, entry: this.entry.href, ...this.counters }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/** @internal */
export const makePool = <I extends Schema.TaggedRequest.All, R = never>(
  options: Offload.Options<R>
): Effect.Effect<Offload.Pool<I>, OffloadError | InvalidArgumentError, Scope.Scope | R> =>
  Effect.suspend((): Effect.Effect<Offload.Pool<I>, OffloadError | InvalidArgumentError, Scope.Scope | R> => {
    const operation = "Offload.makePool"
    if (!Predicate.isRecord(options)) return Effect.fail(invalid(operation, "options", "an options object", options))
    const entry = resolveEntry(operation, options.entry)
    if (entry instanceof InvalidArgumentError) return Effect.fail(entry)
    const size = options.size ?? 1
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 1 || size > 256) {
      return Effect.fail(invalid(operation, "size", "an integer from 1 to 256", size))
    }
    const startupMs = options.startupTimeoutMs ?? 15_000
    if (typeof startupMs !== "number" || !Number.isFinite(startupMs) || startupMs <= 0) {
      return Effect.fail(invalid(operation, "startupTimeoutMs", "a finite number greater than 0", startupMs))
    }
    const name = options.name ?? entry.pathname.split("/").pop() ?? "worker"
    const bridge = options.bridge
    if (bridge !== undefined && !(Predicate.hasProperty(bridge, "serve") && typeof bridge.serve === "function")) {
      return Effect.fail(invalid(operation, "bridge", "the result of ThreadBridge.handlers", bridge))
    }
    return build<I, R>(name, size, entry, startupMs, bridge)
  })

const build = <I extends Schema.TaggedRequest.All, R>(
  name: string,
  size: number,
  entry: URL,
  startupMs: number,
  bridge: ThreadBridge.Served<R> | undefined
) =>
  Effect.gen(function*() {
    const poolScope = yield* Effect.scope
    const threads = new Map<number, WorkerThreads.Worker>()
    // With a bridge, each worker gets its own channel back to this thread's runtime.
    const channels = new Map<number, WorkerThreads.MessagePort>()
    const spawner: Worker.SpawnerFn = (id) => {
      let thread: WorkerThreads.Worker
      if (bridge === undefined) {
        thread = spawnThread(entry, { fiberkitPool: name, id }, [])
      } else {
        const channel = new WorkerThreads.MessageChannel()
        channels.set(id, channel.port1)
        thread = spawnThread(entry, { fiberkitPool: name, id, fiberkitBridge: channel.port2 }, [channel.port2])
      }
      threads.set(id, thread)
      return thread
    }
    const manager = yield* Worker.makeManager.pipe(Effect.provide(NodeWorker.layerWorker))
    const idle = yield* Queue.unbounded<Slot<I>>()
    const broken = yield* Deferred.make<never, OffloadError>()
    const counters: Counters = {
      started: 0,
      completed: 0,
      failed: 0,
      interrupted: 0,
      crashed: 0,
      replaced: 0,
      busy: 0,
      waiting: 0
    }

    const context = yield* Effect.context<R>()
    const spawnSlot: Effect.Effect<Slot<I>, OffloadError> = Effect.gen(function*() {
      const scope = yield* Scope.fork(poolScope, ExecutionStrategy.sequential)
      const worker = yield* Worker.makeSerialized<I>({} as Worker.SerializedWorker.Options<I>).pipe(
        Effect.provideService(Worker.WorkerManager, manager),
        Effect.provideService(Worker.Spawner, spawner),
        Scope.extend(scope),
        // Effect's worker logs a warning each second while a dead worker is retried; the
        // pool reports the failure to the caller and replaces the worker instead.
        Logger.withMinimumLogLevel(LogLevel.None),
        Effect.timeoutFail({
          duration: startupMs,
          onTimeout: () =>
            new OffloadError({
              reason: "spawn",
              pool: name,
              request: undefined,
              detail: `a worker of ${entry.href} did not report ready within ${startupMs} ms`
            })
        }),
        Effect.mapError((cause) =>
          cause instanceof OffloadError ? cause : new OffloadError({
            reason: "spawn",
            pool: name,
            request: undefined,
            detail: `could not start a worker of ${entry.href}`,
            cause
          })
        ),
        Effect.tapError(() => Scope.close(scope, Exit.void))
      )
      const thread = threads.get(worker.id)!
      threads.delete(worker.id)
      const port = channels.get(worker.id)
      channels.delete(worker.id)
      if (bridge !== undefined && port !== undefined) {
        yield* bridge.serve(port).pipe(Scope.extend(scope), Effect.orDie)
        yield* Scope.addFinalizer(scope, Effect.sync(() => port.close()))
      }
      const exited = { value: false }
      thread.once("exit", () => {
        exited.value = true
      })
      // Runs before Effect's own worker finalizer, which would wait up to 5 s for a busy
      // worker to read its close message: a pool's work is over when its scope closes.
      // (terminate() on a thread that has already exited may never settle: skip it then.)
      yield* Scope.addFinalizer(
        scope,
        terminateThread(thread, exited)
      )
      return { worker, thread, scope, exited }
    }).pipe(Effect.provide(context))

    const terminate = (slot: Slot<I>) =>
      terminateThread(slot.thread, slot.exited).pipe(
        Effect.zipRight(Scope.close(slot.scope, Exit.void))
      )

    // Runs in the pool's scope, so closing the pool stops a replacement in progress.
    const replace = (slot: Slot<I>): Effect.Effect<void> =>
      terminate(slot).pipe(
        Effect.zipRight(
          spawnSlot.pipe(Effect.retry(Schedule.intersect(Schedule.exponential(100), Schedule.recurs(3))))
        ),
        Effect.matchEffect({
          onFailure: (error) => Deferred.fail(broken, error),
          onSuccess: (fresh) =>
            Effect.sync(() => {
              counters.replaced++
            }).pipe(Effect.zipRight(Queue.offer(idle, fresh)))
        }),
        Effect.forkIn(poolScope),
        Effect.asVoid
      )

    const slots = yield* Effect.forEach(Array.from({ length: size }), () => spawnSlot, { concurrency: "unbounded" })
    yield* Queue.offerAll(idle, slots)
    yield* Effect.addFinalizer(() => Queue.shutdown(idle))
    return new PoolImpl<I>(name, size, entry, counters, idle, broken, replace)
  })

const tagOf = (request: unknown): string =>
  Predicate.hasProperty(request, "_tag") && typeof request._tag === "string" ? request._tag : typeof request

/** @internal */
export const run: {
  <Req extends Schema.TaggedRequest.All>(
    request: Req
  ): <I extends Schema.TaggedRequest.All>(
    self: Offload.Pool<I>
  ) => Effect.Effect<Schema.WithResult.Success<Req>, Schema.WithResult.Failure<Req> | OffloadError>
  <I extends Schema.TaggedRequest.All, Req extends I>(
    self: Offload.Pool<I>,
    request: Req
  ): Effect.Effect<Schema.WithResult.Success<Req>, Schema.WithResult.Failure<Req> | OffloadError>
} = dual(2, <I extends Schema.TaggedRequest.All, Req extends I>(
  self: Offload.Pool<I>,
  request: Req
): Effect.Effect<Schema.WithResult.Success<Req>, Schema.WithResult.Failure<Req> | OffloadError> => {
  if (!isPool(self)) {
    return Effect.fail(invalid("Offload.run", "pool", "a pool from Offload.makePool", self)) as any
  }
  if (!Predicate.hasProperty(request, Schema.symbolWithResult) || !Predicate.hasProperty(request, "_tag")) {
    return Effect.fail(invalid("Offload.run", "request", "a Schema.TaggedRequest instance", request)) as any
  }
  const pool = self as PoolImpl<I>
  const tag = tagOf(request)
  const wrap = (reason: Offload.OffloadError.Reason, detail: string, cause: unknown) =>
    new OffloadError({ reason, pool: pool.name, request: tag, detail, cause })
  return Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const closed = wrap("closed", "the pool's scope was closed", undefined)
      if (yield* Queue.isShutdown(pool.idle)) return yield* closed
      pool.counters.waiting++
      const slot = yield* restore(
        Effect.raceFirst(
          Queue.take(pool.idle),
          Deferred.await(pool.broken)
        )
      ).pipe(
        // A caller waiting for a worker when the pool closes gets a typed error, not a bare interruption.
        Effect.catchAllCause((cause) =>
          Effect.flatMap(Queue.isShutdown(pool.idle), (shut) => shut ? Effect.fail(closed) : Effect.failCause(cause))
        ),
        Effect.ensuring(Effect.sync(() => {
          pool.counters.waiting--
        }))
      )
      pool.counters.busy++
      pool.counters.started++
      const exit = yield* Effect.exit(
        restore(slot.worker.executeEffect(request) as unknown as Effect.Effect<unknown, unknown>)
      )
      pool.counters.busy--
      if (Exit.isSuccess(exit)) {
        pool.counters.completed++
        yield* Queue.offer(pool.idle, slot)
        return exit.value as Schema.WithResult.Success<Req>
      }
      const cause = exit.cause
      if (Cause.isInterruptedOnly(cause) && (yield* Queue.isShutdown(pool.idle))) {
        // The pool closed under a running job: its worker is already gone.
        pool.counters.failed++
        return yield* closed
      }
      if (Cause.isInterrupted(cause) && !Cause.isFailure(cause) && !Cause.isDie(cause)) {
        // A job on a thread cannot be stopped from outside except by ending the thread:
        // a synchronous loop never reads the interrupt message Effect's worker sends.
        pool.counters.interrupted++
        yield* pool.replace(slot)
        return yield* Effect.failCause(cause)
      }
      if (slot.exited.value) {
        pool.counters.crashed++
        pool.counters.failed++
        yield* pool.replace(slot)
        return yield* wrap("crashed", `the worker thread exited while running ${tag}`, Cause.squash(cause))
      }
      pool.counters.failed++
      yield* Queue.offer(pool.idle, slot)
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some") {
        const error = failure.value
        if (WorkerError.isWorkerError(error)) {
          return yield* wrap(
            error.reason === "encode" ? "encode" : error.reason === "decode" ? "decode" : "unknown",
            error.message,
            error
          )
        }
        if (Predicate.hasProperty(error, "_tag") && error._tag === "ParseError") {
          return yield* wrap("decode", `the answer to ${tag} did not match its schema`, error)
        }
      }
      return yield* Effect.failCause(cause as Cause.Cause<Schema.WithResult.Failure<Req>>)
    })
  ) as Effect.Effect<Schema.WithResult.Success<Req>, Schema.WithResult.Failure<Req> | OffloadError>
})

/** @internal */
export const serve = <A extends Schema.TaggedRequest.All, I, R>(
  schema: Schema.Schema<A, I, R>,
  handlers: WorkerRunner.SerializedRunner.Handlers<A>
): void => {
  if (!WorkerThreads.parentPort) {
    throw invalid("Offload.serve", "thread", "a worker thread started by an Offload pool", "the main thread")
  }
  const layer = WorkerRunner.layerSerialized(schema, handlers).pipe(
    Layer.provide(NodeWorkerRunner.layer)
  ) as Layer.Layer<never, WorkerError.WorkerError>
  NodeRuntime.runMain(WorkerRunner.launch(layer), { disableErrorReporting: true })
}

/** @internal */
export const measureEventLoop = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly resolutionMs?: number | undefined }
): Effect.Effect<[A, Offload.LoopDelay], E | InvalidArgumentError, R> =>
  Effect.suspend((): Effect.Effect<[A, Offload.LoopDelay], E | InvalidArgumentError, R> => {
    const resolution = options?.resolutionMs ?? 10
    if (typeof resolution !== "number" || !Number.isSafeInteger(resolution) || resolution < 1) {
      return Effect.fail(invalid("Offload.measureEventLoop", "resolutionMs", "a positive integer", resolution))
    }
    return Effect.acquireUseRelease(
      Effect.sync(() => {
        const histogram = monitorEventLoopDelay({ resolution })
        histogram.enable()
        return histogram
      }).pipe(
        // The first sample only sets the baseline: a block before it would go unseen.
        Effect.tap(() => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, resolution * 2))))
      ),
      (histogram) =>
        effect.pipe(
          // A loop blocked until now records its delay only when the sampling timer next
          // fires: let it fire (a real timer, so a TestClock cannot stall it).
          Effect.tap(() => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, resolution * 2)))),
          Effect.map((a): [A, Offload.LoopDelay] => {
            histogram.disable()
            // The histogram reports the delay past the sampling interval, in ns.
            const ms = (ns: number) => Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0
            return [a, {
              meanMs: ms(histogram.mean),
              p99Ms: ms(histogram.percentile(99)),
              maxMs: ms(histogram.max),
              samples: histogram.count
            }]
          })
        ),
      (histogram) => Effect.sync(() => histogram.disable())
    )
  })

const functionWorkerEntry = new URL(
  `./functionWorker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
  import.meta.url
)

/** @internal */
export const makeFunctionPool = (
  options?: Offload.FunctionPoolOptions
): Effect.Effect<Offload.Pool<RunFunction>, OffloadError | InvalidArgumentError, Scope.Scope> =>
  Effect.suspend((): Effect.Effect<Offload.Pool<RunFunction>, OffloadError | InvalidArgumentError, Scope.Scope> => {
    if (options !== undefined && !Predicate.isRecord(options)) {
      return Effect.fail(invalid("Offload.makeFunctionPool", "options", "an options object", options))
    }
    const given: Offload.FunctionPoolOptions = options ?? {}
    return makePool<RunFunction>({
      entry: functionWorkerEntry,
      size: given.size ?? 1,
      name: given.name ?? "functions",
      ...(given.startupTimeoutMs !== undefined ? { startupTimeoutMs: given.startupTimeoutMs } : {})
    }).pipe(
      Effect.mapError((error) =>
        error instanceof InvalidArgumentError ?
          new InvalidArgumentError({ ...error, operation: "Offload.makeFunctionPool" }) :
          error
      )
    )
  })

/** @internal */
export const call = <Args extends ReadonlyArray<unknown>, A>(
  pool: Offload.Pool<RunFunction>,
  fn: (...args: Args) => A,
  ...args: Args
): Effect.Effect<Awaited<A>, FunctionError | OffloadError | InvalidArgumentError> =>
  Effect.suspend((): Effect.Effect<Awaited<A>, FunctionError | OffloadError | InvalidArgumentError> => {
    if (typeof fn !== "function") {
      return Effect.fail(invalid("Offload.call", "fn", "a function", fn))
    }
    const source = Function.prototype.toString.call(fn)
    if (source.includes("[native code]")) {
      return Effect.fail(
        invalid("Offload.call", "fn", "a function written in JavaScript (not native or bound)", source)
      )
    }
    return run(pool, new RunFunction({ source, args })) as Effect.Effect<Awaited<A>, FunctionError | OffloadError>
  })
