import { assert, describe, it } from "@effect/vitest"
import { InvalidArgument } from "@fiberkit/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { MessageChannel } from "node:worker_threads"
import * as Offload from "../src/Offload.js"
import * as ThreadBridge from "../src/ThreadBridge.js"
import { MainRequests, Price, Quote, Stall, UnknownSku, Wait, type WorkerRequests } from "./fixtures/bridged.js"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

const prices: Record<string, number> = { apple: 3, pear: 4, plum: 5 }

// The main thread's handlers; `log` shows what ran where and what was interrupted.
const mainHandlers = (log: Array<string>) =>
  ThreadBridge.handlers(MainRequests, {
    Price: ({ sku }) =>
      Effect.sync(() => log.push(`price ${sku}`)).pipe(
        Effect.zipRight(sku in prices ? Effect.succeed(prices[sku]!) : Effect.fail(new UnknownSku({ sku })))
      ),
    Wait: () => Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => log.push("wait interrupted"))))
  })

const eventually = (predicate: () => boolean) =>
  Effect.suspend(() => predicate() ? Effect.void : Effect.fail("not yet")).pipe(
    Effect.tapError(() => Effect.sleep("20 millis")),
    Effect.retry({ times: 500 }),
    Effect.orDie
  )

describe("ThreadBridge", () => {
  it.live("a worker calls the main thread's runtime and gets typed answers", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const pool = yield* Offload.makePool<WorkerRequests>({
        entry: new URL("./fixtures/bridgedWorker.ts", import.meta.url),
        size: 1,
        bridge: mainHandlers(log)
      })
      assert.strictEqual(yield* Offload.run(pool, new Quote({ skus: ["apple", "pear", "plum"] })), 12)
      assert.deepStrictEqual(log, ["price apple", "price pear", "price plum"])
      const error = failureOf(yield* Effect.exit(Offload.run(pool, new Quote({ skus: ["apple", "kiwi"] }))))
      assert.instanceOf(error, UnknownSku, "the main thread's typed failure crosses two boundaries intact")
      assert.strictEqual(error.sku, "kiwi")
    }).pipe(Effect.scoped))

  it.live("interrupting the worker's job interrupts the handler it was waiting on in the main thread", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const pool = yield* Offload.makePool<WorkerRequests>({
        entry: new URL("./fixtures/bridgedWorker.ts", import.meta.url),
        size: 1,
        bridge: mainHandlers(log)
      })
      const job = yield* Effect.fork(Offload.run(pool, new Stall()))
      yield* Effect.sleep("300 millis")
      yield* Fiber.interrupt(job)
      // The worker was terminated; its channel closed with it and the main-side fiber ended.
      yield* eventually(() => log.includes("wait interrupted"))
      assert.deepStrictEqual(log, ["wait interrupted"])
    }).pipe(Effect.scoped))

  it.live("serve and makeClient work over a bare MessageChannel; interruption crosses it", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const { port1, port2 } = new MessageChannel()
      yield* mainHandlers(log).serve(port1)
      const client = yield* ThreadBridge.makeClient<MainRequests>(port2)
      assert.strictEqual(yield* client.call(new Price({ sku: "plum" })), 5)
      const waiting = yield* Effect.fork(client.call(new Wait()))
      yield* eventually(() => log.length === 1)
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(waiting)
      yield* eventually(() => log.includes("wait interrupted"))
      port1.close()
    }).pipe(Effect.scoped))

  it.live("closing the serving scope ends running handlers; closing the channel fails waiting calls", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const { port1, port2 } = new MessageChannel()
      const serving = yield* Scope.make()
      yield* mainHandlers(log).serve(port1).pipe(Scope.extend(serving))
      const client = yield* ThreadBridge.makeClient<MainRequests>(port2)
      const waiting = yield* Effect.fork(client.call(new Wait()))
      yield* Effect.sleep("100 millis")
      yield* Scope.close(serving, Exit.void)
      assert.deepStrictEqual(log, ["wait interrupted"])
      port1.close()
      const error = failureOf(yield* Fiber.await(waiting))
      assert.isTrue(ThreadBridge.isThreadBridgeError(error))
      assert.match(String(error?.message), /Wait: the channel closed/)
    }).pipe(Effect.scoped))

  it.effect("bad input and the wrong thread fail typed at the call", () =>
    Effect.gen(function*() {
      const notPort = failureOf(yield* Effect.exit(Effect.scoped(ThreadBridge.makeClient({} as any))))
      assert.isTrue(InvalidArgument.isInvalidArgumentError(notPort))
      const { port1 } = new MessageChannel()
      const noHandlers = failureOf(
        yield* Effect.exit(Effect.scoped(ThreadBridge.serve(port1, MainRequests, null as never)))
      )
      assert.isTrue(InvalidArgument.isInvalidArgumentError(noHandlers))
      port1.close()
      const main = failureOf(yield* Effect.exit(Effect.scoped(ThreadBridge.connectParent())))
      assert.isTrue(ThreadBridge.isThreadBridgeError(main))
      const badBridge = failureOf(
        yield* Effect.exit(Effect.scoped(Offload.makePool({ entry: new URL(import.meta.url), bridge: {} as any })))
      )
      assert.isTrue(InvalidArgument.isInvalidArgumentError(badBridge))
    }))
})
