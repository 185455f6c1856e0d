/**
 * Demo: a `ResourcePool` of real keep-alive TCP connections to the loopback
 * upstream (min 2, max 5, idle TTL 500 ms, health check on borrow):
 *   1. 40 fibers borrow connections to GET a user each; progress is printed;
 *      the pool never holds more than 5 connections and the server never sees
 *      more than 5 requests at once;
 *   2. a request on a pooled connection is cut by a timeout: the socket is
 *      destroyed, and the health check retires it on its next borrow;
 *   3. idle connections above min expire after the TTL;
 *   4. the pool's scope closes: every connection is closed, and the kernel's
 *      table of the server's established sockets drops to 0.
 */
import { Deadline, ResourcePool, TaskGroup } from "@fiberkit/core"
import { Upstream } from "@fiberkit/upstream"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { connect, type Connection, type ConnectionError, serverSideConnections } from "./connection.js"

/** What the demo observed; the test asserts on it. */
export interface Summary {
  readonly burst: {
    readonly responses: number
    readonly ok: number
    readonly peakSize: number
    readonly peakInUse: number
    readonly created: number
    readonly serverPeakInFlight: number
    readonly requestsPerConnection: Readonly<Record<number, number>>
  }
  readonly broken: {
    readonly timedOut: boolean
    readonly cutConnection: number
    readonly unhealthy: number
    readonly servedBy: ReadonlyArray<number>
  }
  readonly idle: { readonly sizeBefore: number; readonly sizeAfter: number }
  readonly closed: {
    readonly created: number
    readonly destroyed: number
    readonly serverSideBefore: number | undefined
    readonly serverSideAfter: number | undefined
  }
}

const fmt = (s: ResourcePool.Statistics) =>
  `size ${s.size}, in use ${s.inUse}, idle ${s.idle}, waiting ${s.waiting}, created ${s.created}, destroyed ${s.destroyed}`

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}, /users/:id answers in 50 ms\n`)
  yield* upstream.setProfile({ latencyMs: 50 })

  const poolScope = yield* Scope.make()
  let nextId = 0
  const connections = new Map<number, Connection>()
  const acquire: Effect.Effect<Connection, ConnectionError, Scope.Scope> = Effect.tap(
    Effect.suspend(() => connect(upstream.port, ++nextId)),
    (c) => Effect.sync(() => connections.set(c.id, c))
  )
  const pool = yield* ResourcePool.make({
    acquire,
    min: 2,
    max: 5,
    idleTimeToLive: "500 millis",
    acquireTimeout: "3 seconds",
    healthCheck: (c) => Effect.sync(() => c.healthy),
    label: "upstream connections"
  }).pipe(Scope.extend(poolScope))

  // 1. A burst of 40 borrowers.
  yield* Console.log("1. 40 fibers, each borrowing a connection for one GET /users/:id")
  const reporter = yield* Effect.fork(
    ResourcePool.statistics(pool).pipe(
      Effect.flatMap((s) => Console.log(`   … ${fmt(s)}`)),
      Effect.repeat(Schedule.spaced("150 millis"))
    )
  )
  const responses = yield* TaskGroup.runAll(
    Array.from({ length: 40 }, (_, i) => ResourcePool.use(pool, (conn) => conn.get(`/users/${i + 1}`)))
  )
  yield* Fiber.interrupt(reporter)
  const afterBurst = yield* ResourcePool.statistics(pool)
  const serverStats = yield* upstream.stats
  const requestsPerConnection = Object.fromEntries(Array.from(connections.values(), (c) => [c.id, c.requests]))
  yield* Console.log(`   done: ${responses.filter((r) => r.status === 200).length}/40 answered 200`)
  yield* Console.log(
    `   pool: ${fmt(afterBurst)}; peak size ${afterBurst.peakSize}, peak in use ${afterBurst.peakInUse}`
  )
  yield* Console.log(`   requests per connection: ${JSON.stringify(requestsPerConnection)}`)
  yield* Console.log(`   server: peak in flight ${serverStats.total.peakInFlight} (never above the pool's max of 5)\n`)

  // 2. A request cut by a timeout leaves its connection unusable; the health check retires it.
  yield* Console.log("2. GET /hang on a pooled connection, under a 100 ms deadline, then 5 borrowers at once")
  let cutConnection = 0
  const cut = yield* Effect.exit(
    ResourcePool.use(pool, (conn) => Effect.zipRight(Effect.sync(() => cutConnection = conn.id), conn.get("/hang")))
      .pipe(
        Deadline.timeout({ after: "100 millis", label: "GET /hang" })
      )
  )
  // Five borrowers at once reach every pooled connection, the broken one included.
  const servedBy = yield* TaskGroup.runAll(
    Array.from(
      { length: 5 },
      (_, i) => ResourcePool.use(pool, (conn) => Effect.as(conn.get(`/users/${i + 1}`), conn.id))
    )
  )
  const afterBroken = yield* ResourcePool.statistics(pool)
  yield* Console.log(
    `   ${
      Exit.isFailure(cut) ? "timed out" : "answered"
    } on connection #${cutConnection}, whose socket was destroyed; ` +
      `it was not handed out again (${
        afterBroken.unhealthy > 0 ? "the health check retired it" : "the idle sweep retired it before any borrow"
      }); the borrowers were served by ${JSON.stringify(servedBy)}\n`
  )

  // 3. Idle connections above min expire.
  yield* Console.log("3. one second idle: connections above min (2) expire after 500 ms unused")
  const sizeBefore = afterBroken.size
  yield* Effect.sleep("1200 millis")
  const afterIdle = yield* ResourcePool.statistics(pool)
  yield* Console.log(`   size ${sizeBefore} -> ${afterIdle.size}\n`)

  // 4. Closing the pool closes every connection.
  yield* Console.log("4. closing the pool's scope")
  const serverSideBefore = yield* serverSideConnections(upstream.port)
  yield* Scope.close(poolScope, Exit.void)
  const closed = yield* ResourcePool.statistics(pool)
  // The kernel sees the server's sockets close a moment after ours.
  const serverSideAfter = yield* serverSideConnections(upstream.port).pipe(
    Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (n) => n === undefined || n === 0, times: 50 })
  )
  yield* Console.log(`   pool: created ${closed.created}, destroyed ${closed.destroyed}`)
  yield* Console.log(
    serverSideBefore === undefined ?
      "   (this system does not expose /proc/net/tcp: server-side sockets not counted)" :
      `   server-side established connections (kernel): ${serverSideBefore} before, ${serverSideAfter} after`
  )

  return {
    burst: {
      responses: responses.length,
      ok: responses.filter((r) => r.status === 200).length,
      peakSize: afterBurst.peakSize,
      peakInUse: afterBurst.peakInUse,
      created: afterBurst.created,
      serverPeakInFlight: serverStats.total.peakInFlight,
      requestsPerConnection
    },
    broken: { timedOut: Exit.isFailure(cut), cutConnection, unhealthy: afterBroken.unhealthy, servedBy },
    idle: { sizeBefore, sizeAfter: afterIdle.size },
    closed: { created: closed.created, destroyed: closed.destroyed, serverSideBefore, serverSideAfter }
  } satisfies Summary
})
