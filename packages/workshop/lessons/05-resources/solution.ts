import { Deadline, ResourcePool, TaskGroup } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Driver } from "./api.js"

/** Part 1: the `@asynccontextmanager` of Effect: a connection that is closed when its scope closes. */
export const connection = Effect.flatMap(Driver, (driver) => Effect.acquireRelease(driver.connect, driver.close))

/** ...and `async with connection() as conn:` is `Effect.scoped`. */
export const runQuery = (sql: string) =>
  Effect.scoped(Effect.flatMap(connection, (conn) => Effect.flatMap(Driver, (driver) => driver.query(conn, sql))))

/** Part 2: every query at once, over a pool of at most 2 connections, all closed at the end. */
export const runAll = (queries: ReadonlyArray<string>) =>
  Effect.scoped(Effect.gen(function*() {
    const driver = yield* Driver
    const pool = yield* ResourcePool.make({ acquire: connection, max: 2 })
    return yield* TaskGroup.runAll(queries.map((sql) => ResourcePool.use(pool, (conn) => driver.query(conn, sql))))
  }))

/**
 * Part 3: a stream of query results where each query has 100 ms, labelled `query <sql>`.
 * The deadline wraps the *production of each element*, so time the consumer spends on an
 * element is never counted against it.
 */
export const results = (queries: ReadonlyArray<string>) =>
  Stream.fromIterable(queries).pipe(
    Stream.mapEffect((sql) => Deadline.timeout(runQuery(sql), { after: "100 millis", label: `query ${sql}` }))
  )
