/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 04`.
 *
 * A poller polls (100 ms) and handles (20 ms) in a loop; at 250 ms, during its
 * third poll, shutdown interrupts it and waits at most two seconds for it to stop.
 */
import { Deadline, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { type Picture, point, region } from "../_shared/pictures.js"
import { Feed } from "./api.js"
import { poller as pollerFixed } from "./solution.js"

const feed = Layer.succeed(Feed, {
  poll: Effect.sleep("100 millis").pipe(Effect.as(["order 1"]), region("poll", "note")),
  handle: () => Effect.sleep("20 millis").pipe(region("handle", "note"))
})

// The README's broken loop: its catch-all swallows the interruption too (the back-off is drawn as a region).
const pollerBroken = Effect.flatMap(Feed, (feed) =>
  Effect.uninterruptibleMask((restore) =>
    restore(feed.poll).pipe(
      Effect.flatMap(feed.handle),
      Effect.catchAllCause(() => Effect.sleep("1 second").pipe(region("back-off", "backoff"))),
      Effect.forever
    )
  ))

const shutdown = <E>(poller: Effect.Effect<never, E, Feed>) =>
  Effect.gen(function*() {
    // A daemon, as a service's poller is: with a plain fork the unkillable one would also keep its
    // parent from ending (a fiber waits for its children), and the recording would never end.
    const fiber = yield* Effect.forkDaemon(poller.pipe(Timeline.named("poller")))
    yield* Effect.sleep("250 millis")
    // Interrupt as this fiber (so the poller's lane names shutdown), then wait at most two seconds.
    yield* point("interrupt the poller", "interrupt")
    yield* fiber.interruptAsFork(yield* Effect.fiberId)
    yield* Fiber.await(fiber).pipe(Deadline.timeout({ after: "2 seconds", label: "stopping the poller" }))
  }).pipe(Timeline.named("shutdown"), Effect.provide(feed))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "unkillable-broken",
    title: "Broken: the interrupt is caught",
    label: "unkillable loop (broken)",
    program: shutdown(pollerBroken),
    advance: "3 seconds"
  },
  {
    name: "unkillable-fixed",
    title: "Fixed: Cancellation.catchAllCause",
    label: "unkillable loop (fixed)",
    program: shutdown(pollerFixed),
    advance: "3 seconds"
  }
]
