/**
 * Demo: the Effect-world choice for each asyncio library, used for real:
 *   aiohttp  -> @effect/platform HttpClient, against the loopback upstream;
 *   aiofiles -> @effect/platform FileSystem, in a temp dir;
 *   asyncpg  -> @effect/sql with a real SQLite-compatible database file
 *               (@effect/sql-libsql: prebuilt native binary shipped in an npm
 *               package, no compiler or download at install time);
 *   aioredis -> ioredis behind @effect/experimental's Persistence/Redis, on a
 *               redis-server this demo starts on a free loopback port, or a
 *               clear "skipped" line when redis-server is not installed.
 */
import * as Persistence from "@effect/experimental/Persistence"
import * as PersistenceRedis from "@effect/experimental/Persistence/Redis"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { AsyncStream, Bridge } from "@fiberkit/core"
import { Upstream } from "@fiberkit/upstream"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { spawn, spawnSync } from "node:child_process"
import * as net from "node:net"

const User = Schema.Struct({ id: Schema.String, name: Schema.String })
const Order = Schema.Struct({ id: Schema.String, userId: Schema.String, total: Schema.Number })
const Item = Schema.Struct({ id: Schema.Number, name: Schema.String, price: Schema.Number })

export interface Summary {
  readonly http: { readonly user: string; readonly orders: number; readonly retriedStatus: number | undefined }
  readonly files: { readonly lines: number; readonly bytes: number }
  readonly sql: {
    readonly rows: number
    readonly total: number
    readonly cheapest: string
    readonly rolledBack: boolean
    readonly rowsAfterRollback: number
  }
  readonly redis:
    | { readonly skipped: true; readonly reason: string }
    | { readonly skipped: false; readonly value: unknown; readonly missing: boolean }
}

const actHttp = Effect.gen(function*() {
  yield* Console.log("aiohttp -> HttpClient")
  const upstream = yield* Upstream.Upstream
  // One configured client, like an aiohttp.ClientSession: base URL, status check, retry of transient failures.
  const client = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(HttpClientRequest.prependUrl(upstream.baseUrl)),
    HttpClient.filterStatusOk,
    HttpClient.retryTransient({ schedule: Schedule.spaced("20 millis"), times: 3 })
  )
  const user = yield* client.get("/users/42").pipe(
    Effect.flatMap(HttpClientResponse.schemaBodyJson(User)),
    Effect.scoped
  )
  const orders = yield* client.get("/users/42/orders").pipe(
    Effect.flatMap(HttpClientResponse.schemaBodyJson(Schema.Array(Order))),
    Effect.scoped
  )
  const failing = yield* client.get("/users/42?fail=503").pipe(Effect.scoped, Effect.flip)
  const retriedStatus = failing._tag === "ResponseError" ? failing.response.status : undefined
  const stats = yield* upstream.stats
  yield* Console.log(
    `   GET /users/42 -> ${user.name}; ${orders.length} orders decoded with Schema; a 503 was tried ` +
      `${(stats.routes["/users/:id"]?.started ?? 1) - 1} times (1 + 3 retries), then failed typed ` +
      `(${failing._tag} ${retriedStatus})\n`
  )
  return { user: user.name, orders: orders.length, retriedStatus }
})

const actFiles = (dir: string) =>
  Effect.gen(function*() {
    yield* Console.log("aiofiles -> FileSystem")
    const fs = yield* FileSystem.FileSystem
    const path = `${dir}/events.log`
    yield* fs.writeFileString(path, "started\n")
    for (const event of ["user 42 logged in", "order 42-1 paid", "user 42 logged out"]) {
      yield* fs.writeFileString(path, `${event}\n`, { flag: "a" })
    }
    const lines = yield* AsyncStream.lines(path).pipe(Stream.filter((l) => l.length > 0), Stream.runCollect)
    const bytes = Number((yield* fs.stat(path)).size)
    yield* Console.log(
      `   wrote and appended ${Chunk.size(lines)} lines (${bytes} bytes); read back: "${Chunk.unsafeLast(lines)}"\n`
    )
    return { lines: Chunk.size(lines), bytes }
  })

const actSql = Effect.gen(function*() {
  yield* Console.log("asyncpg -> @effect/sql (SQLite through libsql, a real database file)")
  const sql = yield* SqlClient.SqlClient
  const upstream = yield* Upstream.Upstream
  const client = yield* HttpClient.HttpClient
  yield* sql`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL)`
  const items = yield* Effect.forEach(
    [3, 14, 15, 92, 65, 35],
    (id) =>
      client.get(upstream.url(`/items/${id}`)).pipe(
        Effect.flatMap(HttpClientResponse.schemaBodyJson(Item)),
        Effect.scoped
      ),
    { concurrency: 3 }
  )
  // One transaction for the batch, as `async with conn.transaction()` would.
  yield* sql.withTransaction(
    Effect.forEach(items, (item) => sql`INSERT INTO items ${sql.insert(item)}`, { discard: true })
  )
  const [totals] = yield* sql<{ rows: number; total: number }>`SELECT COUNT(*) AS rows, SUM(price) AS total FROM items`
  const [cheapest] = yield* sql<{ name: string }>`SELECT name FROM items ORDER BY price ASC LIMIT 1`
  // A failure inside the transaction rolls every statement of it back.
  const rolledBack = yield* sql.withTransaction(
    Effect.zipRight(
      sql`INSERT INTO items ${sql.insert({ id: 1000, name: "ghost", price: 1 })}`,
      Effect.fail("payment declined")
    )
  ).pipe(Effect.flip, Effect.map((e) => e === "payment declined"))
  const [after] = yield* sql<{ rows: number }>`SELECT COUNT(*) AS rows FROM items`
  yield* Console.log(
    `   ${totals!.rows} rows inserted in one transaction, total price ${totals!.total}, cheapest ${cheapest!.name}; ` +
      `a failed transaction left ${after!.rows} rows (rolled back: ${rolledBack})\n`
  )
  return {
    rows: Number(totals!.rows),
    total: Number(totals!.total),
    cheapest: cheapest!.name,
    rolledBack,
    rowsAfterRollback: Number(after!.rows)
  }
})

const freePort = Bridge.callback<number>("find a free port", (done) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as net.AddressInfo).port
    server.close(() => done(null, port))
  })
  server.on("error", done)
})

// Starts redis-server for the scope of the act and stops it after; fails if it does not come up.
const redisServer = Effect.gen(function*() {
  const port = yield* freePort
  const child = yield* Effect.acquireRelease(
    Effect.sync(() =>
      spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        stdio: "ignore"
      })
    ),
    (child) =>
      child.exitCode === null ?
        Effect.zipRight(Effect.sync(() => child.kill("SIGTERM")), Bridge.once(child, "exit").pipe(Effect.ignore)) :
        Effect.void
  )
  const connects = Bridge.callback<void>("connect to redis", (done) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.end()
      done(null)
    })
    socket.on("error", done)
    return () => socket.destroy()
  })
  yield* connects.pipe(Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("5 seconds"))))
  return { port, pid: child.pid }
})

const actRedis = Effect.gen(function*() {
  yield* Console.log("aioredis -> ioredis through @effect/experimental Persistence/Redis")
  const installed = spawnSync("redis-server", ["--version"], { encoding: "utf8" })
  if (installed.error !== undefined || installed.status !== 0) {
    const reason = "redis-server is not installed (apt-get install redis-server to run this part)"
    yield* Console.log(`   skipped: ${reason}`)
    return { skipped: true as const, reason }
  }
  return yield* Effect.gen(function*() {
    const server = yield* redisServer
    // The client lives as long as this layer: everything that uses it runs inside.
    const result = yield* Effect.gen(function*() {
      const store = yield* Effect.flatMap(Persistence.BackingPersistence, (p) => p.make("fiberkit-demo"))
      yield* store.set("session:42", { user: "42", cart: [3, 14] }, Option.none())
      const value = yield* store.get("session:42")
      yield* store.remove("session:42")
      const gone = yield* store.get("session:42")
      return { value, gone }
    }).pipe(
      Effect.scoped,
      Effect.provide(PersistenceRedis.layer({ host: "127.0.0.1", port: server.port }))
    )
    const { gone, value } = result
    yield* Console.log(
      `   redis-server started on 127.0.0.1:${server.port}; SET/GET session:42 -> ${
        JSON.stringify(Option.getOrNull(value))
      }; after DEL: ${Option.isNone(gone) ? "missing" : "still there"}; server stopped with the scope`
    )
    return { skipped: false as const, value: Option.getOrNull(value), missing: Option.isNone(gone) }
  }).pipe(Effect.scoped)
})

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  const fs = yield* FileSystem.FileSystem
  yield* Console.log(`upstream on ${upstream.baseUrl}\n`)
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "fiberkit-ecosystem-" })
  const http = yield* actHttp
  const files = yield* actFiles(dir)
  const sql = yield* actSql.pipe(Effect.provide(LibsqlClient.layer({ url: `file:${dir}/shop.db` })))
  const redis = yield* actRedis
  return { http, files, sql, redis } satisfies Summary
}).pipe(Effect.scoped)
