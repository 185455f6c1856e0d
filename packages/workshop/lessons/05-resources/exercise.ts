/**
 * Lesson 05: resources. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 05
 */
import type { Deadline, InvalidArgument, ResourcePool } from "@fiberkit/core"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { unsolved } from "../_shared/lesson.js"
import type { Conn, Driver } from "./api.js"

/**
 * Part 1: a connection that is closed (driver.close) when the enclosing Scope closes.
 * Use `Effect.acquireRelease`. Then `runQuery` opens one, runs the query and closes it.
 */
export const connection: Effect.Effect<Conn, never, Driver | Scope.Scope> = unsolved(
  "connection: Effect.acquireRelease(driver.connect, driver.close)"
)

export const runQuery = (sql: string): Effect.Effect<string, never, Driver> =>
  unsolved(`runQuery(${sql}): Effect.scoped around connection + driver.query`)

/**
 * Part 2: run every query concurrently over a ResourcePool of at most 2 connections;
 * every connection must be closed when runAll returns. Results in the order of the queries.
 */
export const runAll = (
  queries: ReadonlyArray<string>
): Effect.Effect<
  Array<string>,
  Deadline.TimeoutExceeded | ResourcePool.UnhealthyResourceError | InvalidArgument.InvalidArgumentError,
  Driver
> => unsolved(`runAll(${queries.length} queries): ResourcePool.make({ acquire: connection, max: 2 }) in a scope`)

/**
 * Part 3: a stream of results; each query gets 100 ms, labelled `query <sql>`, and the time
 * the consumer spends on an element must not count against the next query's budget.
 */
export const results = (
  queries: ReadonlyArray<string>
): Stream.Stream<string, Deadline.TimeoutExceeded | InvalidArgument.InvalidArgumentError, Driver> =>
  Stream.fromEffect(unsolved(`results(${queries.length} queries): a deadline around each element's production`))
