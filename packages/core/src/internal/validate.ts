import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { InvalidArgumentError } from "../InvalidArgument.js"

/** @internal */
export type Check = Either.Either<void, InvalidArgumentError>

const ok: Check = Either.void

const fail = (operation: string, argument: string, expected: string, actual: unknown): Check =>
  Either.left(new InvalidArgumentError({ operation, argument, expected, actual }))

/** @internal */
export const positiveInteger = (operation: string, argument: string, value: unknown): Check =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ?
    ok :
    fail(operation, argument, "a positive integer", value)

/** @internal */
export const nonNegativeInteger = (operation: string, argument: string, value: unknown): Check =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ?
    ok :
    fail(operation, argument, "a non-negative integer", value)

/** @internal */
export const positiveFinite = (operation: string, argument: string, value: unknown): Check =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ?
    ok :
    fail(operation, argument, "a finite number greater than 0", value)

/** @internal */
export const nonNegativeFinite = (operation: string, argument: string, value: unknown): Check =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ?
    ok :
    fail(operation, argument, "a finite number of at least 0", value)

/** @internal */
export const oneOf = <const A extends ReadonlyArray<string>>(
  operation: string,
  argument: string,
  allowed: A,
  value: unknown
): Check =>
  typeof value === "string" && allowed.includes(value) ?
    ok :
    fail(operation, argument, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value)

/** @internal */
export const invalid = fail

/**
 * Runs the checks in order and fails with the first problem, so a bad call is
 * reported where it was made.
 *
 * @internal
 */
export const all = (...checks: ReadonlyArray<Check>): Effect.Effect<void, InvalidArgumentError> => {
  for (const check of checks) {
    if (Either.isLeft(check)) return Effect.fail(check.left)
  }
  return Effect.void
}

/** @internal */
export const firstProblem = (...checks: ReadonlyArray<Check>): InvalidArgumentError | undefined => {
  for (const check of checks) {
    if (Either.isLeft(check)) return check.left
  }
  return undefined
}
