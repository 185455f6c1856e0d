/**
 * Lesson 17, reference solution.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

export interface CartLine {
  readonly price: number
  readonly quantity: number
}

/** Nothing to wait for: a plain function. */
export const cartTotal = (lines: ReadonlyArray<CartLine>): number =>
  lines.reduce((total, line) => total + line.price * line.quantity, 0)

export class Carts extends Context.Tag("lesson17/Carts")<Carts, {
  readonly load: (id: string) => Effect.Effect<ReadonlyArray<CartLine>>
}>() {}

/** Network calls: concurrently, at most 4 in flight, totals in the order of the ids. */
export const loadTotals = (ids: ReadonlyArray<string>) =>
  Effect.flatMap(
    Carts,
    (carts) => Effect.forEach(ids, (id) => Effect.map(carts.load(id), cartTotal), { concurrency: 4 })
  )

export type Task =
  | { readonly kind: "compute"; readonly cpuMs: number }
  | { readonly kind: "network"; readonly calls: number }
  | { readonly kind: "files"; readonly files: number }
  | { readonly kind: "blocking-library"; readonly hasCallbackTwin: boolean }

export type Tool = "plain function" | "concurrent effects" | "FileSystem" | "worker pool" | "callback twin"

/** The decision tree: which tool for which work. */
export const chooseTool = (task: Task): Tool => {
  switch (task.kind) {
    case "compute":
      // A few ms is cheaper to do than to ship to a thread; long work must leave the loop.
      return task.cpuMs < 20 ? "plain function" : "worker pool"
    case "network":
      return "concurrent effects"
    case "files":
      return "FileSystem"
    case "blocking-library":
      return task.hasCallbackTwin ? "callback twin" : "worker pool"
  }
}
