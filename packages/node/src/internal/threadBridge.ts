import { InvalidArgumentError } from "@fiberkit/core/InvalidArgument"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberMap from "effect/FiberMap"
import * as Predicate from "effect/Predicate"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { MessagePort } from "node:worker_threads"
import * as WorkerThreads from "node:worker_threads"
import type * as ThreadBridge from "../ThreadBridge.js"

/** @internal */
export const ErrorTypeId: ThreadBridge.ErrorTypeId = Symbol.for(
  "@fiberkit/node/ThreadBridge/ThreadBridgeError"
) as ThreadBridge.ErrorTypeId

/** @internal */
export class ThreadBridgeError extends Data.TaggedError("ThreadBridgeError")<{
  readonly request: string
  readonly detail: string
  readonly cause?: unknown
}> {
  readonly [ErrorTypeId]: ThreadBridge.ErrorTypeId = ErrorTypeId
  override get message(): string {
    return `ThreadBridge ${this.request}: ${this.detail}`
  }
}

// worker -> main: [id, 0, encoded request] starts a call, [id, 1] interrupts it.
// main -> worker: [id, 0, encoded exit] answers it, [id, 1, text] reports a request the main side could not read.
type ToMain = readonly [id: number, kind: 0, request: unknown] | readonly [id: number, kind: 1]
type ToWorker = readonly [id: number, kind: 0, exit: unknown] | readonly [id: number, kind: 1, detail: string]

const invalid = (operation: string, argument: string, expected: string, actual: unknown) =>
  new InvalidArgumentError({ operation, argument, expected, actual })

const isPort = (u: unknown): u is MessagePort =>
  Predicate.hasProperty(u, "postMessage") && typeof u.postMessage === "function" &&
  Predicate.hasProperty(u, "on") && typeof u.on === "function"

/** @internal */
export const serve = <A extends Schema.TaggedRequest.All, I, R, HR>(
  port: MessagePort,
  schema: Schema.Schema<A, I, R>,
  handlers: ThreadBridge.Handlers<A, HR>
): Effect.Effect<void, InvalidArgumentError, Scope.Scope | R | HR> =>
  Effect.gen(function*() {
    if (!isPort(port)) return yield* invalid("ThreadBridge.serve", "port", "a MessagePort", port)
    if (!Schema.isSchema(schema)) return yield* invalid("ThreadBridge.serve", "schema", "a Schema", schema)
    if (!Predicate.isRecord(handlers)) {
      return yield* invalid("ThreadBridge.serve", "handlers", "an object of handlers by request tag", handlers)
    }
    const runtime = yield* Effect.runtime<R | HR>()
    // The calls of one worker live in this map: closing the scope interrupts them all.
    const calls = yield* FiberMap.make<number>()
    const decode = Schema.decodeUnknown(schema)
    const post = (message: ToWorker) => Effect.sync(() => port.postMessage(message))
    const handle = (id: number, encoded: unknown) =>
      Effect.gen(function*() {
        const request = yield* Effect.either(decode(encoded))
        if (request._tag === "Left") return yield* post([id, 1, `the request could not be decoded: ${request.left}`])
        const handler =
          (handlers as unknown as Record<string, (r: A) => Effect.Effect<unknown, unknown, HR>>)[request.right._tag]
        if (handler === undefined) return yield* post([id, 1, `no handler for ${request.right._tag}`])
        const exit = yield* Effect.exit(handler(request.right))
        const encodedExit = yield* Schema.serializeExit(request.right as any, exit as Exit.Exit<any, any>).pipe(
          Effect.orElseSucceed(() => undefined)
        )
        if (encodedExit === undefined) return yield* post([id, 1, `the answer to ${request.right._tag} did not encode`])
        return yield* post([id, 0, encodedExit])
      })
    const runFork = Runtime.runFork(runtime)
    const onMessage = (message: ToMain) => {
      if (!Array.isArray(message) || typeof message[0] !== "number") return
      const id = message[0]
      if (message[1] === 1) {
        runFork(FiberMap.remove(calls, id))
      } else {
        runFork(FiberMap.run(calls, id, handle(id, message[2]) as Effect.Effect<void, never, R | HR>))
      }
    }
    port.on("message", onMessage)
    yield* Effect.addFinalizer(() => Effect.sync(() => port.off("message", onMessage)))
  })

/** @internal */
export const makeClient = <I extends Schema.TaggedRequest.All>(
  port: MessagePort
): Effect.Effect<ThreadBridge.Client<I>, InvalidArgumentError, Scope.Scope> =>
  Effect.gen(function*() {
    if (!isPort(port)) return yield* invalid("ThreadBridge.makeClient", "port", "a MessagePort", port)
    let nextId = 0
    const pending = new Map<number, { readonly request: I; readonly deferred: Deferred.Deferred<unknown, unknown> }>()
    const onMessage = (message: ToWorker) => {
      const entry = pending.get(message[0])
      if (entry === undefined) return
      pending.delete(message[0])
      if (message[1] === 1) {
        Deferred.unsafeDone(
          entry.deferred,
          Exit.fail(new ThreadBridgeError({ request: entry.request._tag, detail: message[2] }))
        )
        return
      }
      const decoded = Schema.decodeUnknownEither(Schema.exitSchema(entry.request as any))(message[2])
      Deferred.unsafeDone(
        entry.deferred,
        decoded._tag === "Right" ?
          decoded.right as Exit.Exit<unknown, unknown> :
          Exit.fail(
            new ThreadBridgeError({
              request: entry.request._tag,
              detail: "the answer did not decode",
              cause: decoded.left
            })
          )
      )
    }
    const onClose = () => {
      for (const [id, entry] of pending) {
        pending.delete(id)
        Deferred.unsafeDone(
          entry.deferred,
          Exit.fail(new ThreadBridgeError({ request: entry.request._tag, detail: "the channel closed" }))
        )
      }
    }
    port.on("message", onMessage)
    port.on("close", onClose)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        port.off("message", onMessage)
        port.off("close", onClose)
        onClose()
      })
    )
    const call = (request: I) =>
      Effect.gen(function*() {
        const encoded = yield* Schema.serialize(request as any).pipe(
          Effect.mapError((cause) =>
            new ThreadBridgeError({ request: request._tag, detail: "the request did not encode", cause })
          )
        )
        const deferred = yield* Deferred.make<unknown, unknown>()
        const id = nextId++
        pending.set(id, { request, deferred })
        port.postMessage([id, 0, encoded] satisfies ToMain)
        return yield* Deferred.await(deferred).pipe(
          // Interrupting a call here interrupts the handler running on the main thread.
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              if (pending.delete(id)) port.postMessage([id, 1] satisfies ToMain)
            })
          )
        )
      })
    return { call } as unknown as ThreadBridge.Client<I>
  })

/** @internal */
export const parentPort = (): Effect.Effect<MessagePort, ThreadBridgeError> =>
  Effect.suspend(() => {
    const data: unknown = WorkerThreads.workerData
    const port = Predicate.hasProperty(data, "fiberkitBridge") ? data.fiberkitBridge : undefined
    return isPort(port) ?
      Effect.succeed(port) :
      Effect.fail(
        new ThreadBridgeError({
          request: "connect",
          detail: "this thread was not started by an Offload pool with a `bridge` option"
        })
      )
  })

/** @internal */
export const connectParent = <I extends Schema.TaggedRequest.All>(): Effect.Effect<
  ThreadBridge.Client<I>,
  ThreadBridgeError,
  Scope.Scope
> =>
  Effect.flatMap(parentPort(), (port) =>
    Effect.tap(
      makeClient<I>(port).pipe(Effect.orDie),
      // Without unref the open port would keep the worker alive after its work is done.
      () => Effect.sync(() => port.unref())
    ))

/** @internal */
export const isThreadBridgeError = (u: unknown): u is ThreadBridge.ThreadBridgeError =>
  Predicate.hasProperty(u, ErrorTypeId)

/** @internal */
export const handlers = <A extends Schema.TaggedRequest.All, I, R, HR>(
  schema: Schema.Schema<A, I, R>,
  handlers: ThreadBridge.Handlers<A, HR>
): ThreadBridge.Served<R | HR> => ({
  serve: (port) => serve(port, schema, handlers)
})
