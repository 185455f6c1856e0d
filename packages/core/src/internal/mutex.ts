import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import { InvalidArgumentError } from "../InvalidArgument.js"
import type * as Mutex from "../Mutex.js"

/** @internal */
export const TypeId: Mutex.TypeId = Symbol.for("@fiberkit/core/Mutex") as Mutex.TypeId

interface Waiter {
  readonly fiber: FiberId.FiberId
  readonly grant: () => void
}

/** @internal */
export class MutexImpl implements Mutex.Mutex {
  readonly [TypeId]: Mutex.TypeId = TypeId
  owner: FiberId.FiberId | undefined = undefined
  readonly waiters: Array<Waiter> = []
  acquisitions = 0
  contended = 0
  peakWaiting = 0
  constructor(readonly label: string | undefined) {}

  pipe() {
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _id: "Mutex", label: this.label, ...this.statistics() }
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }

  statistics(): Mutex.Statistics {
    return {
      locked: this.owner !== undefined,
      owner: this.owner === undefined ? Option.none() : Option.some(FiberId.threadName(this.owner)),
      waiting: this.waiters.length,
      acquisitions: this.acquisitions,
      contended: this.contended,
      peakWaiting: this.peakWaiting
    }
  }

  /** Hands the lock to the first waiter (FIFO, no barging) or leaves it free. */
  release(): void {
    const next = this.waiters.shift()
    if (next === undefined) {
      this.owner = undefined
      return
    }
    this.owner = next.fiber
    this.acquisitions++
    next.grant()
  }
}

const impl = (self: Mutex.Mutex) => self as MutexImpl

const name = (label: string | undefined) => label === undefined ? "Mutex" : `Mutex "${label}"`

/** @internal */
export class MutexNotOwnerError extends Data.TaggedError("MutexNotOwnerError")<{
  readonly label: string | undefined
  readonly caller: string
  readonly owner: string | undefined
}> {
  override get message(): string {
    return this.owner === undefined ?
      `fiber ${this.caller} cannot unlock ${name(this.label)}: it is not locked` :
      `fiber ${this.caller} cannot unlock ${name(this.label)}: it is held by fiber ${this.owner}`
  }
}

/** @internal */
export class MutexReentryError extends Data.TaggedError("MutexReentryError")<{
  readonly label: string | undefined
  readonly fiber: string
}> {
  override get message(): string {
    return `fiber ${this.fiber} tried to lock ${
      name(this.label)
    } while already holding it: a mutex is not re-entrant, this would wait forever`
  }
}

/** @internal */
export const isMutex = (u: unknown): u is Mutex.Mutex => Predicate.hasProperty(u, TypeId)

/** @internal */
export const make = (options?: Mutex.Options): Effect.Effect<Mutex.Mutex, InvalidArgumentError> =>
  Effect.suspend(() => {
    const label = options?.label
    if (
      (options !== undefined && (typeof options !== "object" || options === null)) ||
      (label !== undefined && typeof label !== "string")
    ) {
      return Effect.fail(
        new InvalidArgumentError({
          operation: "Mutex.make",
          argument: "options",
          expected: "undefined or { label?: string }",
          actual: options
        })
      )
    }
    return Effect.succeed(new MutexImpl(label))
  })

/** @internal */
export const unsafeMake = (options?: Mutex.Options): Mutex.Mutex => new MutexImpl(options?.label)

/** @internal */
export const lock = (self: Mutex.Mutex): Effect.Effect<void, Mutex.MutexReentryError> =>
  Effect.withFiberRuntime((fiber) => {
    const mutex = impl(self)
    const id = fiber.id()
    if (mutex.owner === undefined) {
      mutex.owner = id
      mutex.acquisitions++
      return Effect.void
    }
    if (FiberId.threadName(mutex.owner) === FiberId.threadName(id)) {
      return Effect.fail(new MutexReentryError({ label: mutex.label, fiber: FiberId.threadName(id) }))
    }
    mutex.contended++
    return Effect.async<void>((resume) => {
      let granted = false
      const waiter: Waiter = {
        fiber: id,
        grant: () => {
          granted = true
          resume(Effect.void)
        }
      }
      mutex.waiters.push(waiter)
      if (mutex.waiters.length > mutex.peakWaiting) mutex.peakWaiting = mutex.waiters.length
      return Effect.sync(() => {
        // Interrupted after the lock was handed over: pass it on, or everyone behind would wait forever.
        if (granted) mutex.release()
        else {
          const index = mutex.waiters.indexOf(waiter)
          if (index >= 0) mutex.waiters.splice(index, 1)
        }
      })
    })
  })

/** @internal */
export const unlock = (self: Mutex.Mutex): Effect.Effect<void, Mutex.MutexNotOwnerError> =>
  Effect.withFiberRuntime((fiber) => {
    const mutex = impl(self)
    const caller = FiberId.threadName(fiber.id())
    if (mutex.owner === undefined || FiberId.threadName(mutex.owner) !== caller) {
      return Effect.fail(
        new MutexNotOwnerError({
          label: mutex.label,
          caller,
          owner: mutex.owner === undefined ? undefined : FiberId.threadName(mutex.owner)
        })
      )
    }
    mutex.release()
    return Effect.void
  })

/** @internal */
export const withLock = dual<
  (self: Mutex.Mutex) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | Mutex.MutexReentryError, R>,
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: Mutex.Mutex) => Effect.Effect<A, E | Mutex.MutexReentryError, R>
>(2, (effect, self) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      const mutex = impl(self)
      const me = FiberId.threadName(fiber.id())
      const ownedByMe = () => mutex.owner !== undefined && FiberId.threadName(mutex.owner) === me
      return restore(lock(self)).pipe(
        // An interruption that lands just after the lock was granted must still give it back.
        Effect.onExit((exit) => Exit.isFailure(exit) && ownedByMe() ? Effect.sync(() => mutex.release()) : Effect.void),
        Effect.zipRight(
          restore(effect).pipe(Effect.ensuring(Effect.sync(() => {
            if (ownedByMe()) mutex.release()
          })))
        )
      )
    })
  ))

/** @internal */
export const statistics = (self: Mutex.Mutex): Effect.Effect<Mutex.Statistics> =>
  Effect.sync(() => impl(self).statistics())

/** @internal */
export const isLocked = (self: Mutex.Mutex): Effect.Effect<boolean> => Effect.sync(() => impl(self).owner !== undefined)
