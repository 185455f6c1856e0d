/**
 * The lesson's stand-in for Redis: a keyspace shared by every "process" of the test, reached
 * through round trips that take time on the (Test)Clock, so a test can kill a caller at any
 * point of a conversation and look at what the server kept.
 *
 * A round trip is 1 ms to the server, the command, 1 ms back. Interrupted on the way there,
 * the command never ran; interrupted on the way back, it ran and the caller never heard:
 * exactly the two ways a `kill -9` can cut a real client off.
 *
 * `run(script)` sends one script: a synchronous function over the keyspace that the server
 * executes in one step, as Redis runs a Lua script or a MULTI/EXEC block. Nothing else runs
 * in between, and it is never half applied.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** What a script may do with the keyspace; `px` is a time to live in ms. */
export interface Keyspace {
  readonly get: (key: string) => string | undefined
  /** SET: with `nx`, only if the key is absent (true when it was written). */
  readonly set: (key: string, value: string, options?: { readonly nx?: boolean; readonly px?: number }) => boolean
  readonly del: (key: string) => boolean
  /** PEXPIRE: a new time to live for an existing key (false when there is no such key). */
  readonly pexpire: (key: string, ms: number) => boolean
  readonly incrBy: (key: string, by: number) => number
  /** SADD of one member: true when it was not in the set yet. */
  readonly sadd: (key: string, member: string) => boolean
  readonly sismember: (key: string, member: string) => boolean
}

export interface ToyRedisService {
  /** One round trip carrying one script. */
  readonly run: <A>(script: (keys: Keyspace) => A) => Effect.Effect<A>
  /** Scripts the server has executed (a dropped request is not one). */
  readonly executed: Effect.Effect<number>
}

export class ToyRedis extends Context.Tag("workshop/ToyRedis")<ToyRedis, ToyRedisService>() {}

interface Entry {
  value: string | ReadonlySet<string>
  expiresAt: number | undefined
}

export const make: Effect.Effect<ToyRedisService> = Effect.sync(() => {
  const data = new Map<string, Entry>()
  let executed = 0

  const keyspaceAt = (now: number): Keyspace => {
    const live = (key: string): Entry | undefined => {
      const entry = data.get(key)
      if (entry?.expiresAt !== undefined && entry.expiresAt <= now) {
        data.delete(key)
        return undefined
      }
      return entry
    }
    const setOf = (key: string): Set<string> => {
      const entry = live(key)
      if (entry === undefined) {
        const fresh = new Set<string>()
        data.set(key, { value: fresh, expiresAt: undefined })
        return fresh
      }
      if (typeof entry.value === "string") throw new Error(`WRONGTYPE: ${key} holds a string, not a set`)
      return entry.value as Set<string>
    }
    return {
      get: (key) => {
        const value = live(key)?.value
        if (value !== undefined && typeof value !== "string") throw new Error(`WRONGTYPE: ${key} holds a set`)
        return value
      },
      set: (key, value, options) => {
        if (options?.nx && live(key) !== undefined) return false
        data.set(key, { value, expiresAt: options?.px === undefined ? undefined : now + options.px })
        return true
      },
      del: (key) => live(key) !== undefined && data.delete(key),
      pexpire: (key, ms) => {
        const entry = live(key)
        if (entry === undefined) return false
        entry.expiresAt = now + ms
        return true
      },
      incrBy: (key, by) => {
        const current = Number(live(key)?.value ?? "0")
        const next = current + by
        data.set(key, { value: String(next), expiresAt: live(key)?.expiresAt })
        return next
      },
      sadd: (key, member) => {
        const set = setOf(key)
        if (set.has(member)) return false
        set.add(member)
        return true
      },
      sismember: (key, member) => {
        const entry = live(key)
        return entry !== undefined && typeof entry.value !== "string" && entry.value.has(member)
      }
    }
  }

  const leg = Effect.sleep("1 millis")
  return {
    run: <A>(script: (keys: Keyspace) => A) =>
      Effect.gen(function*() {
        yield* leg
        // The server's step: synchronous, so no other fiber's script can run in the middle.
        const result = yield* Effect.map(Clock.currentTimeMillis, (now) => {
          executed++
          return script(keyspaceAt(now))
        })
        yield* leg
        return result
      }),
    executed: Effect.sync(() => executed)
  }
})

export const layer: Layer.Layer<ToyRedis> = Layer.effect(ToyRedis, make)

export interface Payment {
  readonly id: string
  readonly customer: string
  readonly cents: number
}

/** The key holding a customer's balance in cents (charges make it negative). */
export const balanceKey = (customer: string) => `balance:${customer}`

/** The holder's refresh found the lease gone or owned by someone else: it is no longer alone. */
export class LeaseLostError
  extends Data.TaggedError("LeaseLostError")<{ readonly key: string; readonly owner: string }>
{
  override get message() {
    return `lease ${this.key} is no longer held by ${this.owner} (it expired or was taken over)`
  }
}
