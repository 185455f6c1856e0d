import { assert, describe, it } from "@effect/vitest"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

const withUpstream = (profile?: Partial<Upstream.FaultProfile>) =>
  Layer.merge(Upstream.layer({ profile: { latencyMs: 0, ...profile } }), UpstreamClient.layer)

// Real sockets on 127.0.0.1: these tests are about I/O, so they use the live clock.
describe("Upstream", () => {
  it("busiestWindow counts the starts inside the fullest half-open window", () => {
    assert.strictEqual(Upstream.busiestWindow([], 1000), 0)
    assert.strictEqual(Upstream.busiestWindow([0, 999, 1000, 1999], 1000), 2)
    assert.strictEqual(Upstream.busiestWindow([5, 0, 10, 3000, 3001], 1000), 3)
    assert.strictEqual(Upstream.busiestWindow([0, 0, 0], 1), 3)
  })

  it.live("serves users, orders and preferences on an ephemeral loopback port", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.Upstream
      assert.match(upstream.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.notStrictEqual(upstream.port, 0)
      const user = yield* UpstreamClient.get("/users/7")
      const orders = yield* UpstreamClient.get("/users/7/orders")
      assert.deepStrictEqual((user as any).id, "7")
      assert.strictEqual((orders as Array<unknown>).length, 3)
      const stats = yield* upstream.stats
      assert.strictEqual(stats.routes["/users/:id"]?.finished, 1)
      assert.strictEqual(stats.total.started, 2)
    }).pipe(Effect.provide(withUpstream())))

  it.live("paginates /items with a next-page cursor", () =>
    Effect.gen(function*() {
      const first = (yield* UpstreamClient.get("/items?page=1&size=4&total=10")) as any
      const last = (yield* UpstreamClient.get("/items?page=3&size=4&total=10")) as any
      assert.deepStrictEqual(first.items.map((i: any) => i.id), [1, 2, 3, 4])
      assert.strictEqual(first.nextPage, 2)
      assert.deepStrictEqual(last.items.map((i: any) => i.id), [9, 10])
      assert.strictEqual(last.nextPage, null)
    }).pipe(Effect.provide(withUpstream())))

  it.live("records an interrupted /hang request as aborted", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.Upstream
      const fiber = yield* Effect.fork(UpstreamClient.get("/hang"))
      // Wait until the server has seen the request, then interrupt the client.
      while (((yield* upstream.stats).routes["/hang"]?.inFlight ?? 0) === 0) yield* Effect.sleep("5 millis")
      yield* Fiber.interrupt(fiber)
      while (((yield* upstream.stats).routes["/hang"]?.aborted ?? 0) === 0) yield* Effect.sleep("5 millis")
      const hang = (yield* upstream.stats).routes["/hang"]!
      assert.strictEqual(hang.aborted, 1)
      assert.strictEqual(hang.inFlight, 0)
    }).pipe(Effect.provide(withUpstream())))

  it.live("answers 429 with Retry-After past the rate limit", () =>
    Effect.gen(function*() {
      const results = yield* Effect.forEach([1, 2, 3], (i) => Effect.exit(UpstreamClient.get(`/users/${i}`)))
      assert.isTrue(Exit.isSuccess(results[0]!) && Exit.isSuccess(results[1]!))
      const third = results[2]!
      assert.isTrue(Exit.isFailure(third))
      const error = yield* Effect.flip(UpstreamClient.get("/users/4"))
      assert.strictEqual(error.status, 429)
      assert.isTrue(Option.isSome(error.retryAfter))
      assert.strictEqual((yield* (yield* Upstream.Upstream).stats).total.rateLimited, 2)
    }).pipe(Effect.provide(withUpstream({ rateLimit: { limit: 2, windowMs: 60_000 } }))))

  it.live("forced and seeded failures answer with error statuses", () =>
    Effect.gen(function*() {
      const forced = yield* Effect.flip(UpstreamClient.get("/users/1/orders?fail=500"))
      assert.strictEqual(forced.status, 500)
      assert.match(forced.message, /answered 500/)
      const exits = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) =>
        Effect.exit(UpstreamClient.get(`/users/${i}`)))
      const failed = exits.filter(Exit.isFailure).length
      assert.isTrue(failed > 0 && failed < 20, `some but not all failed (${failed})`)
    }).pipe(Effect.provide(withUpstream({ failureRate: 0.5 }))))

  it.live("the same seed gives the same sequence of failures", () => {
    const run = Effect.forEach(
      Array.from({ length: 15 }, (_, i) => i),
      (i) => Effect.map(Effect.exit(UpstreamClient.get(`/users/${i}`)), Exit.isSuccess)
    ).pipe(
      Effect.provide(withUpstream({ failureRate: 0.4, seed: 7 }))
    )
    return Effect.gen(function*() {
      assert.deepStrictEqual(yield* run, yield* run)
    })
  })

  it.live("a connection reset reaches the client as a transport failure", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(UpstreamClient.get("/users/1"))
      assert.strictEqual(error.status, undefined)
      assert.strictEqual((yield* (yield* Upstream.Upstream).stats).total.reset, 1)
    }).pipe(Effect.provide(withUpstream({ resetRate: 1 }))))

  it.live("a bad profile is a typed error naming the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(Upstream.layer({ profile: { failureRate: 2 } })))
      assert.strictEqual(error._tag, "UpstreamOptionsError")
      assert.match(error.message, /failureRate must be between 0 and 1/)
    }).pipe(Effect.scoped))

  it.live("peak in-flight is recorded", () =>
    Effect.gen(function*() {
      yield* Effect.forEach(Array.from({ length: 5 }, (_, i) => i), (i) => UpstreamClient.get(`/slow?ms=50&n=${i}`), {
        concurrency: "unbounded"
      })
      assert.strictEqual((yield* (yield* Upstream.Upstream).stats).routes["/slow"]?.peakInFlight, 5)
    }).pipe(Effect.provide(withUpstream())))
})
