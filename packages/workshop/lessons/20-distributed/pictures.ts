/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 20`.
 *
 * One payment, two deliveries: worker A fetches it (3 ms), records it, and is
 * killed at 7.5 ms before the queue heard back; the queue hands the payment to
 * worker B. Every ToyRedis round trip (2 ms) and the acknowledgement (3 ms) is a
 * region on the delivering lane; the last mark is the balance.
 */
import { Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { type Picture, point, region } from "../_shared/pictures.js"
import { balanceKey, make, type Payment, type ToyRedisService } from "./api.js"

const payment: Payment = { id: "pay-17", customer: "ada", cents: 1250 }

// The README's broken handler: check, charge, mark, each its own round trip.
const brokenRecord = (redis: ToyRedisService) =>
  Effect.gen(function*() {
    const seen = yield* redis.run((k) => k.sismember("payments:applied", payment.id)).pipe(region("SISMEMBER applied"))
    if (seen) return
    yield* redis.run((k) => k.incrBy(balanceKey(payment.customer), -payment.cents)).pipe(region("INCRBY balance"))
    yield* redis.run((k) => k.sadd("payments:applied", payment.id)).pipe(region("SADD applied"))
  })

// The fix: the mark and the charge in one script.
const fixedRecord = (redis: ToyRedisService) =>
  redis.run((k) => {
    if (k.sadd("payments:applied", payment.id)) k.incrBy(balanceKey(payment.customer), -payment.cents)
  }).pipe(region("one script: SADD + INCRBY"))

const deliveries = (record: (redis: ToyRedisService) => Effect.Effect<unknown>) =>
  Effect.gen(function*() {
    const redis = yield* make
    const deliver = (worker: string) =>
      Effect.sleep("3 millis").pipe(
        region("fetch the payment"),
        Effect.zipRight(record(redis)),
        Effect.zipRight(Effect.sleep("3 millis").pipe(region("ack to the queue"))),
        Effect.withSpan(`delivery to ${worker}`)
      )
    const first = yield* Effect.fork(deliver("worker A"))
    yield* Effect.sleep("7500 micros")
    // kill -9: worker A gets no say; the queue's visibility timeout hands the payment on.
    yield* Fiber.interrupt(first)
    yield* point("worker A killed: redelivered")
    yield* Fiber.join(yield* Effect.fork(deliver("worker B")))
    const balance = yield* redis.run((k) => Number(k.get(balanceKey(payment.customer)) ?? "0"))
    yield* point(`balance ${balance} (${balance === -payment.cents ? "charged once" : "charged twice"})`)
  }).pipe(Timeline.named("payment pay-17"))

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "redelivery-broken",
    title: "Broken: check, charge, mark",
    label: "killed between the charge and the mark (broken)",
    program: deliveries(brokenRecord)
  },
  {
    name: "redelivery-fixed",
    title: "Fixed: mark + charge in one script",
    label: "killed before the ack (fixed)",
    program: deliveries(fixedRecord)
  }
]
