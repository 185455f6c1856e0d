/**
 * Lesson 17: when to use async. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 17
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { unsolved } from "../_shared/lesson.js"

export interface CartLine {
  readonly price: number
  readonly quantity: number
}

/** Part 1: the total of a cart (price × quantity, summed). There is nothing to wait for here. */
export const cartTotal = (lines: ReadonlyArray<CartLine>): number =>
  Effect.runSync(unsolved(`cartTotal(${lines.length} lines): a plain function; no Effect needed`))

export class Carts extends Context.Tag("lesson17/Carts")<Carts, {
  readonly load: (id: string) => Effect.Effect<ReadonlyArray<CartLine>>
}>() {}

/**
 * Part 2: load each cart (a 100 ms network call) and total it: concurrently, at most 4 calls in
 * flight, results in the order of `ids`.
 */
export const loadTotals = (ids: ReadonlyArray<string>): Effect.Effect<Array<number>, never, Carts> =>
  unsolved(`loadTotals(${ids.length} ids): Effect.forEach with concurrency 4`)

export type Task =
  | { readonly kind: "compute"; readonly cpuMs: number }
  | { readonly kind: "network"; readonly calls: number }
  | { readonly kind: "files"; readonly files: number }
  | { readonly kind: "blocking-library"; readonly hasCallbackTwin: boolean }

export type Tool = "plain function" | "concurrent effects" | "FileSystem" | "worker pool" | "callback twin"

/**
 * Part 3: the decision tree as code. Compute under 20 ms stays a plain function, longer goes to a
 * worker pool; network is concurrent effects; files go through FileSystem; a blocking library uses
 * its callback twin when it has one, a worker pool when it does not.
 */
export const chooseTool = (task: Task): Tool =>
  Effect.runSync(unsolved(`chooseTool(${task.kind}): one branch per kind of work`))
