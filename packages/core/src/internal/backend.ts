import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Predicate from "effect/Predicate"
import { InvalidArgumentError } from "../InvalidArgument.js"
import * as timeline from "./timeline.js"

/**
 * Runs a backend's acquisition so that what it acquired can never be lost.
 *
 * Run in the caller's fiber, an acquisition that succeeds at the very moment
 * the caller is interrupted would lose its release (the interruption lands
 * between the backend's last step and ours). So the acquisition runs in a
 * child fiber, interruptibly, and the caller waits for it; if the caller is
 * interrupted, the child is interrupted and awaited, and when it had already
 * succeeded the release it returned runs at once. Call it inside
 * `Effect.uninterruptibleMask`, passing its `restore`. With `waiting`, the
 * caller's Timeline lane shows the wait as a phase of that name, as it does
 * for the in-process primitives.
 *
 * @internal
 */
export const acquire = <E>(
  acquisition: Effect.Effect<Effect.Effect<void>, E>,
  restore: <A, E2, R>(effect: Effect.Effect<A, E2, R>) => Effect.Effect<A, E2, R>,
  waiting?: string
): Effect.Effect<Effect.Effect<void>, E> =>
  Effect.flatMap(
    Effect.fork(Effect.interruptible(acquisition)),
    (fiber) => {
      const join = restore(Fiber.join(fiber))
      return Effect.onInterrupt(
        waiting === undefined ? join : timeline.unsafePhase(join, waiting, "waiting"),
        () => Effect.flatMap(Fiber.interrupt(fiber), (exit) => Exit.isSuccess(exit) ? exit.value : Effect.void)
      )
    }
  )

/**
 * Checks that `backend` has the members a `fromBackend` needs, so that a
 * mistake shows at construction rather than as a `TypeError` in the middle of
 * a call.
 *
 * @internal
 */
export const check = (
  operation: string,
  backend: unknown,
  functions: ReadonlyArray<string>,
  effects: ReadonlyArray<string>
): InvalidArgumentError | undefined => {
  if (!Predicate.isObject(backend)) {
    return new InvalidArgumentError({
      operation,
      argument: "backend",
      expected: "an object implementing the Backend interface",
      actual: backend
    })
  }
  const members = backend as Record<string, unknown>
  for (const name of functions) {
    if (typeof members[name] !== "function") {
      return new InvalidArgumentError({
        operation,
        argument: `backend.${name}`,
        expected: "a function",
        actual: members[name]
      })
    }
  }
  for (const name of effects) {
    if (!Effect.isEffect(members[name])) {
      return new InvalidArgumentError({
        operation,
        argument: `backend.${name}`,
        expected: "an Effect",
        actual: members[name]
      })
    }
  }
  if (members.label !== undefined && typeof members.label !== "string") {
    return new InvalidArgumentError({
      operation,
      argument: "backend.label",
      expected: "a string or undefined",
      actual: members.label
    })
  }
  return undefined
}

/**
 * The error for a value that looks like the data type (it has the type id)
 * but is neither the local implementation nor a `fromBackend` one.
 *
 * @internal
 */
export const notOurs = (operation: string, type: string, actual: unknown): InvalidArgumentError =>
  new InvalidArgumentError({
    operation,
    argument: "self",
    expected: `a ${type} (from ${type}.make or ${type}.fromBackend)`,
    actual
  })
