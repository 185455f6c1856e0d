import { InvalidArgument } from "@fiberkit/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * The checks of `@fiberkit/core`'s own (internal) validate module, for this package: each returns the first
 * problem as an `InvalidArgumentError` naming the operation, or `undefined`.
 *
 * @internal
 */
export type Check = InvalidArgument.InvalidArgumentError | undefined

/** @internal */
export const invalid = (operation: string, argument: string, expected: string, actual: unknown) =>
  new InvalidArgument.InvalidArgumentError({ operation, argument, expected, actual })

/** @internal */
export const positiveInteger = (operation: string, argument: string, value: unknown): Check =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ?
    undefined :
    invalid(operation, argument, "a positive integer", value)

/** @internal */
export const port = (operation: string, argument: string, value: unknown): Check =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 && value < 65536 ?
    undefined :
    invalid(operation, argument, "an integer port between 1 and 65535", value)

/** @internal */
export const nonEmptyString = (operation: string, argument: string, value: unknown): Check =>
  typeof value === "string" && value.length > 0 ? undefined : invalid(operation, argument, "a non-empty string", value)

/** @internal */
export const optionalString = (operation: string, argument: string, value: unknown): Check =>
  value === undefined || typeof value === "string" ? undefined : invalid(operation, argument, "a string", value)

/** @internal */
export const object = (operation: string, argument: string, value: unknown): Check =>
  typeof value === "object" && value !== null ? undefined : invalid(operation, argument, "an object", value)

/**
 * A positive, finite duration in milliseconds, or the problem with it.
 *
 * @internal
 */
export const positiveDuration = (
  operation: string,
  argument: string,
  value: unknown
): { readonly millis: number } | InvalidArgument.InvalidArgumentError => {
  const decoded = Option.filter(Duration.decodeUnknown(value), Duration.isFinite)
  const millis = Option.map(decoded, Duration.toMillis)
  return Option.isSome(millis) && millis.value > 0 ?
    { millis: millis.value } :
    invalid(operation, argument, "a finite duration greater than 0", value)
}

/**
 * Fails with the first problem, so a bad call is reported where it was made.
 *
 * @internal
 */
export const all = (...checks: ReadonlyArray<Check>): Effect.Effect<void, InvalidArgument.InvalidArgumentError> => {
  for (const check of checks) {
    if (check !== undefined) return Effect.fail(check)
  }
  return Effect.void
}

/** @internal */
export type InvalidArgumentError = InvalidArgument.InvalidArgumentError
