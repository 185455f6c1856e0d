import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Predicate from "effect/Predicate"
import type * as Cancellation from "../Cancellation.js"
import { InvalidArgumentError } from "../InvalidArgument.js"
import * as validate from "./validate.js"

/** @internal */
export const InterruptionSwallowedTypeId: Cancellation.InterruptionSwallowedTypeId = Symbol.for(
  "@fiberkit/core/Cancellation/InterruptionSwallowed"
) as Cancellation.InterruptionSwallowedTypeId

/** @internal */
export class InterruptionSwallowed extends Data.TaggedError("InterruptionSwallowed")<{
  readonly label: string
  readonly outcome: Cancellation.SwallowOutcome
  readonly exit: Exit.Exit<unknown, unknown> | undefined
}> {
  readonly [InterruptionSwallowedTypeId]: Cancellation.InterruptionSwallowedTypeId = InterruptionSwallowedTypeId
  override get message(): string {
    switch (this.outcome) {
      case "succeeded":
        return `${this.label} was interrupted but ended with a success: a handler caught the interruption and ` +
          `carried on. Clean up, then let the interruption propagate (Cancellation.onCancel, Cancellation.catchAllCause)`
      case "failed":
        return `${this.label} was interrupted but ended with a failure that is not the interruption: a handler ` +
          `replaced it with an error. Let the interruption propagate; errors of the cleanup are kept beside it`
      case "still-running":
        return `${this.label} was interrupted and is still running: a handler caught the interruption in an ` +
          `uninterruptible region and kept going, so a timeout or task group waiting for it can never finish`
      case "finished-early":
        return `${this.label} finished before it could be interrupted, so nothing was proven: ` +
          `give it work that suspends, or interrupt it sooner`
    }
  }
}

/** @internal */
export const isInterruptionSwallowed = (u: unknown): u is Cancellation.InterruptionSwallowed =>
  Predicate.hasProperty(u, InterruptionSwallowedTypeId)

const notAnEffect = (operation: string, argument: string, value: unknown) =>
  new InvalidArgumentError({ operation, argument, expected: "an Effect", actual: value })

const notAFunction = (operation: string, argument: string, value: unknown) =>
  new InvalidArgumentError({ operation, argument, expected: "a function", actual: value })

/** @internal */
export const acquireUseRelease = <A, E0, R0, B, E1, R1, R2, R3>(
  options: Cancellation.AcquireUseReleaseOptions<A, E0, R0, B, E1, R1, R2, R3>
): Effect.Effect<B, E0 | E1 | InvalidArgumentError, R0 | R1 | R2 | R3> => {
  const operation = "Cancellation.acquireUseRelease"
  if (!Predicate.isRecord(options)) {
    return Effect.fail(
      new InvalidArgumentError({
        operation,
        argument: "options",
        expected: "{ acquire, use, release }",
        actual: options
      })
    )
  }
  if (!Effect.isEffect(options.acquire)) return Effect.fail(notAnEffect(operation, "acquire", options.acquire))
  if (!Predicate.isFunction(options.use)) return Effect.fail(notAFunction(operation, "use", options.use))
  if (!Predicate.isFunction(options.release)) return Effect.fail(notAFunction(operation, "release", options.release))
  if (options.onCancel !== undefined && !Predicate.isFunction(options.onCancel)) {
    return Effect.fail(notAFunction(operation, "onCancel", options.onCancel))
  }
  const { onCancel, release, use } = options
  // acquire cannot be cut half-way; use can; onCancel runs first on interruption, release always, last.
  return Effect.acquireUseRelease(
    options.acquire,
    onCancel === undefined ? use : (resource) => Effect.onInterrupt(use(resource), () => onCancel(resource)),
    (resource, exit) => release(resource, exit)
  )
}

/** @internal */
export const onCancel = dual<
  <X, R2>(cleanup: Effect.Effect<X, never, R2>) => <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | InvalidArgumentError, R | R2>,
  <A, E, R, X, R2>(
    self: Effect.Effect<A, E, R>,
    cleanup: Effect.Effect<X, never, R2>
  ) => Effect.Effect<A, E | InvalidArgumentError, R | R2>
>(2, (self, cleanup) => {
  if (!Effect.isEffect(self)) return Effect.fail(notAnEffect("Cancellation.onCancel", "self", self))
  if (!Effect.isEffect(cleanup)) return Effect.fail(notAnEffect("Cancellation.onCancel", "cleanup", cleanup))
  return Effect.onInterrupt(self, () => cleanup)
})

/** @internal */
export const critical = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidArgumentError, R> =>
  Effect.isEffect(self) ? Effect.uninterruptible(self) : Effect.fail(notAnEffect("Cancellation.critical", "self", self))

/** @internal */
export const catchAllCause = dual<
  <E, A2, E2, R2>(f: (cause: Cause.Cause<E>) => Effect.Effect<A2, E2, R2>) => <A, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A | A2, E2, R | R2>,
  <A, E, R, A2, E2, R2>(
    self: Effect.Effect<A, E, R>,
    f: (cause: Cause.Cause<E>) => Effect.Effect<A2, E2, R2>
  ) => Effect.Effect<A | A2, E2, R | R2>
>(2, (self, f) =>
  Effect.catchAllCause(self, (cause) =>
    // Any interruption in the cause is re-raised as it is: recovering from it would swallow it.
    Cause.isInterrupted(cause) ? Effect.failCause(cause as Cause.Cause<never>) : f(cause)))

const defaultMaxYields = 1_000

/** @internal */
export const checkPropagates = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  options?: Cancellation.CheckOptions<R>
): Effect.Effect<Exit.Exit<A, E>, Cancellation.InterruptionSwallowed | InvalidArgumentError, R> => {
  const operation = "Cancellation.checkPropagates"
  if (!Effect.isEffect(self)) return Effect.fail(notAnEffect(operation, "self", self))
  const label = options?.label ?? "the effect"
  const maxYields = options?.maxYields ?? defaultMaxYields
  if (typeof label !== "string" || label.length === 0) {
    return Effect.fail(
      new InvalidArgumentError({ operation, argument: "label", expected: "a non-empty string", actual: label })
    )
  }
  if (options?.before !== undefined && !Effect.isEffect(options.before)) {
    return Effect.fail(notAnEffect(operation, "before", options.before))
  }
  if (options?.after !== undefined && !Effect.isEffect(options.after)) {
    return Effect.fail(notAnEffect(operation, "after", options.after))
  }
  const problem = validate.firstProblem(validate.positiveInteger(operation, "maxYields", maxYields))
  if (problem) return Effect.fail(problem)
  const swallowed = (outcome: Cancellation.SwallowOutcome, exit: Exit.Exit<unknown, unknown> | undefined) =>
    Effect.fail(new InterruptionSwallowed({ label, outcome, exit }))
  // Polls with scheduler turns, never the clock, so it works the same under TestClock.
  const settle = (fiber: Fiber.RuntimeFiber<A, E>) =>
    Effect.suspend(() => {
      let turns = 0
      return Effect.yieldNow().pipe(
        Effect.repeat({ while: () => fiber.unsafePoll() === null && ++turns < maxYields }),
        Effect.map(() => fiber.unsafePoll())
      )
    })
  return Effect.gen(function*() {
    // A daemon, so that a fiber that ignores interruption is not awaited by our own scope.
    const fiber = yield* Effect.forkDaemon(self)
    if (options?.before !== undefined) yield* options.before
    else yield* Effect.repeatN(Effect.yieldNow(), 10)
    if (fiber.unsafePoll() !== null) return yield* swallowed("finished-early", fiber.unsafePoll()!)
    fiber.unsafeInterruptAsFork(fiber.id())
    if (options?.after !== undefined) yield* options.after
    const exit = yield* settle(fiber)
    if (exit === null) return yield* swallowed("still-running", undefined)
    if (Exit.isSuccess(exit)) return yield* swallowed("succeeded", exit)
    if (!Cause.isInterrupted(exit.cause)) return yield* swallowed("failed", exit)
    return exit
  })
}
