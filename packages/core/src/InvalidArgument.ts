/**
 * The one error every fiberkit constructor and operation gives for input it
 * cannot honour: a limiter asked for more permits than it has, a rate of
 * zero, a negative timeout. It is raised at the call, never discovered later
 * as a hang.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Predicate from "effect/Predicate"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@fiberkit/core/InvalidArgument")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Raised when a fiberkit function is given an argument it cannot work with.
 * `operation` names the function, `argument` the parameter, `expected` what
 * would have been accepted and `actual` what arrived.
 *
 * @example
 * ```ts
 * import { InvalidArgument } from "@fiberkit/core"
 *
 * const error = new InvalidArgument.InvalidArgumentError({
 *   operation: "Limiter.make",
 *   argument: "permits",
 *   expected: "a positive integer",
 *   actual: 0
 * })
 * console.log(error.message)
 * // Limiter.make: permits must be a positive integer, got 0
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArgumentError extends Data.TaggedError("InvalidArgumentError")<{
  readonly operation: string
  readonly argument: string
  readonly expected: string
  readonly actual: unknown
}> {
  /**
   * @since 0.1.0
   */
  readonly [TypeId]: TypeId = TypeId

  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.operation}: ${this.argument} must be ${this.expected}, got ${describe(this.actual)}`
  }
}

/**
 * @example
 * ```ts
 * import { InvalidArgument } from "@fiberkit/core"
 *
 * console.log(InvalidArgument.isInvalidArgumentError(new Error("x"))) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isInvalidArgumentError = (u: unknown): u is InvalidArgumentError => Predicate.hasProperty(u, TypeId)

const describe = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value)
  if (value === undefined || value === null) return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}
