/**
 * Demo: when is async worth it? One measured example per branch of the
 * decision tree:
 *   nothing to wait for  -> plain synchronous code (wrapping each step in an
 *                           Effect only adds cost);
 *   network              -> effects composed concurrently (bounded);
 *   files                -> FileSystem, concurrently;
 *   CPU-bound JavaScript -> a worker thread (Offload), or the event loop stalls;
 *   a blocking library   -> its callback twin on libuv's thread pool
 *                           (Bridge.callback), not the *Sync call.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Bridge } from "@fiberkit/core"
import { Offload } from "@fiberkit/node"
import { Upstream, UpstreamClient } from "@fiberkit/upstream"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as crypto from "node:crypto"

export interface Summary {
  readonly pure: { readonly plainMs: number; readonly perStepEffectMs: number; readonly sameResult: boolean }
  readonly network: {
    readonly sequentialMs: number
    readonly concurrentMs: number
    readonly sequentialPeak: number
    readonly concurrentPeak: number
  }
  readonly files: { readonly sequentialMs: number; readonly concurrentMs: number; readonly bytes: number }
  readonly cpu: { readonly mainLoopMaxMs: number; readonly offloadedLoopMaxMs: number; readonly sameResult: boolean }
  readonly blocking: {
    readonly syncLoopMaxMs: number
    readonly callbackLoopMaxMs: number
    readonly sameResult: boolean
  }
}

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    return [value, (yield* Clock.currentTimeMillis) - start] as const
  })

const sumOfSquares = (n: number) => {
  let total = 0
  for (let i = 0; i < n; i++) total += (i % 1000) * (i % 1000)
  return total
}

const actPure = Effect.gen(function*() {
  yield* Console.log("nothing to wait for: sum of squares over 1,000,000 numbers")
  const n = 1_000_000
  const [plain, plainMs] = yield* timed(Effect.sync(() => sumOfSquares(n)))
  const [wrapped, perStepEffectMs] = yield* timed(
    Effect.reduce(
      Array.from({ length: n }, (_, i) => i),
      0,
      (total, i) => Effect.succeed(total + (i % 1000) * (i % 1000))
    )
  )
  yield* Console.log(
    `   one plain function: ${plainMs} ms; an Effect per step: ${perStepEffectMs} ms (same result: ${
      plain === wrapped
    }): keep pure code plain, wrap the whole call once\n`
  )
  return { plainMs, perStepEffectMs, sameResult: plain === wrapped }
})

const actNetwork = Effect.gen(function*() {
  yield* Console.log("network: 20 upstream calls of 50 ms each")
  const upstream = yield* Upstream.Upstream
  const ids = Array.from({ length: 20 }, (_, i) => i + 1)
  yield* upstream.clearStats
  const [, sequentialMs] = yield* timed(Effect.forEach(ids, (id) => UpstreamClient.get(`/items/${id}?delay=50`)))
  const sequentialPeak = (yield* upstream.quiescentStats).total.peakInFlight
  yield* upstream.clearStats
  const [, concurrentMs] = yield* timed(
    Effect.forEach(ids, (id) => UpstreamClient.get(`/items/${id}?delay=50`), { concurrency: 10 })
  )
  const concurrentPeak = (yield* upstream.quiescentStats).total.peakInFlight
  yield* Console.log(
    `   one after another: ${sequentialMs} ms (peak in flight ${sequentialPeak}); ` +
      `10 at a time: ${concurrentMs} ms (peak ${concurrentPeak}): waiting is what async overlaps\n`
  )
  return { sequentialMs, concurrentMs, sequentialPeak, concurrentPeak }
})

const actFiles = Effect.gen(function*() {
  yield* Console.log("files: read 200 files of 64 KiB through FileSystem")
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "fiberkit-when-async-" })
  const names = Array.from({ length: 200 }, (_, i) => `${dir}/f${i}.bin`)
  const block = new Uint8Array(64 * 1024).fill(7)
  yield* Effect.forEach(names, (name) => fs.writeFile(name, block), { concurrency: 16, discard: true })
  const [seq, sequentialMs] = yield* timed(Effect.forEach(names, (name) => fs.readFile(name)))
  const [, concurrentMs] = yield* timed(Effect.forEach(names, (name) => fs.readFile(name), { concurrency: 16 }))
  const bytes = seq.reduce((total, file) => total + file.length, 0)
  yield* Console.log(
    `   sequential: ${sequentialMs} ms; 16 at a time: ${concurrentMs} ms for ${bytes / 1024 / 1024} MiB ` +
      `(a warm page cache leaves little to overlap: files gain less than the network)\n`
  )
  return { sequentialMs, concurrentMs, bytes }
}).pipe(Effect.scoped)

const actCpu = Effect.gen(function*() {
  yield* Console.log("CPU-bound JavaScript: 3 sieves of 6,000,000")
  const sieve = (limit: number) => {
    const composite = new Uint8Array(limit + 1)
    let count = 0
    for (let i = 2; i <= limit; i++) {
      if (composite[i]) continue
      count++
      for (let j = i * i; j <= limit; j += i) composite[j] = 1
    }
    return count
  }
  const [onMain, mainDelay] = yield* Offload.measureEventLoop(
    Effect.forEach([1, 2, 3], () => Effect.sync(() => sieve(6_000_000)), { concurrency: "unbounded" })
  )
  const [offloaded, offDelay] = yield* Effect.scoped(
    Effect.gen(function*() {
      const pool = yield* Offload.makeFunctionPool({ size: 2 })
      return yield* Offload.measureEventLoop(
        Effect.forEach([1, 2, 3], () => Offload.call(pool, sieve, 6_000_000), { concurrency: "unbounded" })
      )
    })
  )
  const sameResult = onMain.join() === offloaded.join()
  yield* Console.log(
    `   on the main thread the event loop stalled up to ${mainDelay.maxMs} ms; ` +
      `on a pool of 2 workers up to ${offDelay.maxMs} ms (same result: ${sameResult})\n`
  )
  return { mainLoopMaxMs: mainDelay.maxMs, offloadedLoopMaxMs: offDelay.maxMs, sameResult }
})

const actBlocking = Effect.gen(function*() {
  yield* Console.log("a blocking library call: pbkdf2 of 4 passwords, 150,000 iterations each")
  const passwords = ["hunter2", "correct horse", "battery staple", "tr0ub4dor"]
  const [sync, syncDelay] = yield* Offload.measureEventLoop(
    Effect.forEach(
      passwords,
      (p) => Effect.sync(() => crypto.pbkdf2Sync(p, "salt", 150_000, 32, "sha256").toString("hex"))
    )
  )
  const [viaCallback, callbackDelay] = yield* Offload.measureEventLoop(
    Effect.forEach(
      passwords,
      (p) =>
        Bridge.callback<Buffer>("crypto.pbkdf2", (done) => crypto.pbkdf2(p, "salt", 150_000, 32, "sha256", done)).pipe(
          Effect.map((key) => key.toString("hex"))
        ),
      { concurrency: "unbounded" }
    )
  )
  const sameResult = sync.join() === viaCallback.join()
  yield* Console.log(
    `   pbkdf2Sync stalled the loop up to ${syncDelay.maxMs} ms; the callback form on libuv's pool, through ` +
      `Bridge.callback: up to ${callbackDelay.maxMs} ms (same keys: ${sameResult})`
  )
  return { syncLoopMaxMs: syncDelay.maxMs, callbackLoopMaxMs: callbackDelay.maxMs, sameResult }
})

export const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  yield* Console.log(`upstream on ${upstream.baseUrl}\n`)
  const pure = yield* actPure
  const network = yield* actNetwork
  const files = yield* actFiles
  const cpu = yield* actCpu
  const blocking = yield* actBlocking
  return { pure, network, files, cpu, blocking } satisfies Summary
})
