/** The worker of act 5: it has no HTTP client of its own and asks the main thread's runtime instead. */
import { Offload, ThreadBridge } from "@fiberkit/node"
import * as Effect from "effect/Effect"
import { threadId } from "node:worker_threads"
import { ItemPrice, PriceBasket } from "./requests.js"

Offload.serve(PriceBasket, {
  PriceBasket: ({ ids }) =>
    Effect.gen(function*() {
      const main = yield* ThreadBridge.connectParent<ItemPrice>()
      const prices = yield* Effect.forEach(ids, (id) => main.call(new ItemPrice({ id })), { concurrency: 4 })
      return { total: prices.reduce((a, b) => a + b, 0), thread: threadId }
    }).pipe(
      Effect.scoped,
      Effect.catchTag("ThreadBridgeError", (e) => Effect.fail(e.message))
    )
})
