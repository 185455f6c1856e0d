import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Supervisor from "effect/Supervisor"
import type * as Diagnostics from "../Diagnostics.js"
import { InvalidArgumentError } from "../InvalidArgument.js"

/** @internal */
export const TypeId: Diagnostics.TypeId = Symbol.for("@fiberkit/core/Diagnostics/Monitor") as Diagnostics.TypeId

const decodeDuration = (
  operation: string,
  argument: string,
  input: unknown
): Duration.Duration | InvalidArgumentError => {
  const decoded = typeof input === "number" && !(Number.isFinite(input) && input >= 0) ?
    Option.none() :
    Duration.decodeUnknown(input)
  return Option.isSome(decoded) && Duration.isFinite(decoded.value) ?
    decoded.value :
    new InvalidArgumentError({
      operation,
      argument,
      expected: "a finite duration (e.g. \"100 millis\")",
      actual: input
    })
}

interface Entry {
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  readonly parent: string | undefined
  running: boolean
  ended: boolean
  resumedAt: number
  slices: number
}

// The span path, outermost first ("request-6 > http.client GET"): the innermost span alone is
// often a library's, the outer ones say which operation of yours was running.
const spanOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): string | undefined => {
  const names: Array<string> = []
  let span = fiber.currentSpan
  while (span !== undefined && span._tag === "Span" && names.length < 8) {
    names.unshift(span.name)
    span = Option.getOrUndefined(span.parent)
  }
  return names.length === 0 ? undefined : names.join(" > ")
}

/**
 * Sees every fiber start, run a slice, suspend and end. A slice is the time a
 * fiber runs before it waits or yields: the JavaScript thread does nothing else
 * meanwhile, so a long slice is exactly asyncio's "slow callback".
 *
 * @internal
 */
class MonitorSupervisor extends Supervisor.AbstractSupervisor<void> {
  readonly live = new Map<Fiber.RuntimeFiber<unknown, unknown>, Entry>()
  readonly events: Array<Diagnostics.BlockingEvent> = []
  started = 0
  ended = 0
  constructor(
    readonly thresholdMs: number,
    readonly onBlocking: ((event: Diagnostics.BlockingEvent) => void) | undefined
  ) {
    super()
  }
  value = Effect.void
  override onStart<A, E, R>(
    _context: unknown,
    _effect: Effect.Effect<A, E, R>,
    parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
    fiber: Fiber.RuntimeFiber<A, E>
  ): void {
    this.started++
    this.live.set(fiber, {
      fiber,
      parent: Option.isSome(parent) ? `#${parent.value.id().id}` : undefined,
      running: false,
      ended: false,
      resumedAt: 0,
      slices: 0
    })
  }
  override onEnd<A, E>(_exit: Exit.Exit<A, E>, fiber: Fiber.RuntimeFiber<A, E>): void {
    this.ended++
    // Its last slice is still being measured: onSuspend follows onEnd and removes it.
    const entry = this.live.get(fiber)
    if (entry === undefined) return
    if (entry.running) entry.ended = true
    else this.live.delete(fiber)
  }
  override onResume<A, E>(fiber: Fiber.RuntimeFiber<A, E>): void {
    const entry = this.live.get(fiber)
    if (entry === undefined) return
    entry.running = true
    entry.resumedAt = performance.now()
  }
  override onSuspend<A, E>(fiber: Fiber.RuntimeFiber<A, E>): void {
    const entry = this.live.get(fiber)
    if (entry === undefined || !entry.running) return
    entry.running = false
    if (entry.ended) this.live.delete(fiber)
    entry.slices++
    const ms = performance.now() - entry.resumedAt
    if (ms >= this.thresholdMs) {
      const event: Diagnostics.BlockingEvent = {
        fiber: `#${fiber.id().id}`,
        span: spanOf(fiber),
        durationMs: Math.round(ms * 10) / 10,
        thresholdMs: this.thresholdMs
      }
      this.events.push(event)
      this.onBlocking?.(event)
    }
  }
}

/** @internal */
export class MonitorImpl implements Diagnostics.Monitor {
  readonly [TypeId]: Diagnostics.TypeId = TypeId
  constructor(readonly supervisor: MonitorSupervisor, readonly blockingThreshold: Duration.Duration) {}
}

const impl = (self: Diagnostics.Monitor) => self as MonitorImpl

/** @internal */
export const isMonitor = (u: unknown): u is Diagnostics.Monitor => Predicate.hasProperty(u, TypeId)

/** @internal */
export const makeMonitor = (
  options?: Diagnostics.MonitorOptions
): Effect.Effect<Diagnostics.Monitor, InvalidArgumentError> =>
  Effect.suspend(() => {
    const threshold = decodeDuration("Diagnostics.makeMonitor", "blockingThreshold", options?.blockingThreshold ?? 100)
    if (threshold instanceof InvalidArgumentError) return Effect.fail(threshold)
    if (options?.onBlocking !== undefined && typeof options.onBlocking !== "function") {
      return Effect.fail(
        new InvalidArgumentError({
          operation: "Diagnostics.makeMonitor",
          argument: "onBlocking",
          expected: "a function (event) => void",
          actual: options.onBlocking
        })
      )
    }
    return Effect.succeed(
      new MonitorImpl(new MonitorSupervisor(Duration.toMillis(threshold), options?.onBlocking), threshold)
    )
  })

/** @internal */
export const supervise = dual<
  (monitor: Diagnostics.Monitor) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
  <A, E, R>(effect: Effect.Effect<A, E, R>, monitor: Diagnostics.Monitor) => Effect.Effect<A, E, R>
>(2, (effect, monitor) => Effect.supervised(effect, impl(monitor).supervisor))

/** @internal */
export const fiberDump = (monitor: Diagnostics.Monitor): Effect.Effect<ReadonlyArray<Diagnostics.FiberInfo>> =>
  Effect.sync(() => {
    const now = Date.now()
    const entries = Array.from(impl(monitor).supervisor.live.values()).filter((entry) => !entry.ended)
    return entries.map((entry): Diagnostics.FiberInfo => ({
      id: `#${entry.fiber.id().id}`,
      parent: entry.parent,
      status: entry.running ? "running" : "suspended",
      span: spanOf(entry.fiber),
      ageMs: Math.max(0, now - entry.fiber.id().startTimeMillis),
      slices: entry.slices
    })).sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)))
  })

/** @internal */
export const formatDump = (fibers: ReadonlyArray<Diagnostics.FiberInfo>): string =>
  [
    `${fibers.length} live fiber(s)`,
    ...fibers.map((f) =>
      `  ${f.id.padEnd(6)} parent ${(f.parent ?? "-").padEnd(6)} ${f.status.padEnd(9)} ${
        String(f.ageMs).padStart(6)
      } ms  ${f.span ?? "(no span)"}`
    )
  ].join("\n")

/** @internal */
export const blockingEvents = (monitor: Diagnostics.Monitor): Effect.Effect<ReadonlyArray<Diagnostics.BlockingEvent>> =>
  Effect.sync(() => impl(monitor).supervisor.events.slice())

/** @internal */
export const statistics = (monitor: Diagnostics.Monitor): Effect.Effect<Diagnostics.Statistics> =>
  Effect.sync(() => {
    const s = impl(monitor).supervisor
    let live = 0
    for (const entry of s.live.values()) if (!entry.ended) live++
    return { started: s.started, ended: s.ended, live, blockingEvents: s.events.length }
  })

/** @internal */
export const warnIfSlow = dual<
  (
    options: Diagnostics.SlowOptions
  ) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidArgumentError, R>,
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options: Diagnostics.SlowOptions
  ) => Effect.Effect<A, E | InvalidArgumentError, R>
>(
  2,
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options: Diagnostics.SlowOptions
  ): Effect.Effect<A, E | InvalidArgumentError, R> =>
    Effect.suspend((): Effect.Effect<A, E | InvalidArgumentError, R> => {
      const threshold = decodeDuration("Diagnostics.warnIfSlow", "threshold", options?.threshold)
      if (threshold instanceof InvalidArgumentError) return Effect.fail(threshold)
      return Effect.gen(function*() {
        const span = yield* Effect.option(Effect.currentSpan)
        const name = options.name ?? (Option.isSome(span) ? span.value.name : "operation")
        const limit = `${Duration.toMillis(threshold)} ms`
        const start = yield* Clock.currentTimeMillis
        // The warning fires while the operation is still running, so a stuck one is reported too.
        const watcher = yield* Effect.fork(
          Effect.sleep(threshold).pipe(
            Effect.zipRight(Effect.logWarning(`slow operation "${name}": still running after ${limit}`)),
            Effect.annotateLogs({ slowOperation: name })
          )
        )
        return yield* effect.pipe(
          Effect.onExit(() =>
            Effect.zipRight(
              Fiber.interrupt(watcher),
              Effect.flatMap(Clock.currentTimeMillis, (end) =>
                end - start >= Duration.toMillis(threshold) ?
                  Effect.logWarning(`slow operation "${name}" took ${end - start} ms (threshold ${limit})`).pipe(
                    Effect.annotateLogs({ slowOperation: name, durationMs: end - start })
                  ) :
                  Effect.void)
            )
          )
        )
      })
    })
)
