/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 01`.
 *
 * A page loads a user (20 ms), their orders (fails at 40 ms) and their
 * preferences (120 ms) at once. The server goes on after the page has answered,
 * so the picture shows what the page's calls do once nobody is waiting for them.
 */
import { Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type { Picture } from "../_shared/pictures.js"
import { Api, ApiError } from "./api.js"
import { fetchDashboard } from "./solution.js"

const call = <A>(route: string, ms: number, value: A, fail = false) =>
  Effect.sleep(ms).pipe(
    Effect.zipRight(fail ? Effect.fail(new ApiError({ route, status: 500 })) : Effect.succeed(value)),
    Effect.withSpan(`GET /${route}`)
  )

const api = Layer.succeed(Api, {
  user: (id) => call("user", 20, { id, name: `User ${id}` }),
  orders: () => call("orders", 40, [], true),
  preferences: () => call("preferences", 120, { theme: "dark" })
})

// The README's broken loadPage: three daemon fibers joined one by one.
const loadPageBroken = (userId: string) =>
  Effect.gen(function*() {
    const service = yield* Api
    const user = yield* Effect.forkDaemon(service.user(userId))
    const orders = yield* Effect.forkDaemon(service.orders(userId))
    const preferences = yield* Effect.forkDaemon(service.preferences(userId))
    return [yield* Fiber.join(user), yield* Fiber.join(orders), yield* Fiber.join(preferences)] as const
  })

const server = <A, E>(page: Effect.Effect<A, E, Api>) =>
  Effect.gen(function*() {
    const request = yield* Effect.fork(page.pipe(Timeline.named("loadPage")))
    yield* Fiber.await(request)
    yield* Effect.sleep("110 millis")
  }).pipe(Timeline.named("server"), Effect.provide(api))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "gather-broken",
    title: "Broken: forkDaemon, then join",
    label: "loadPage (broken)",
    program: server(loadPageBroken("7"))
  },
  {
    name: "gather-fixed",
    title: "Fixed: a TaskGroup",
    label: "loadPage (fixed)",
    program: server(fetchDashboard("7"))
  }
]
