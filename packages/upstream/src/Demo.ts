/**
 * The entry point every demo app shares, so each `main.ts` is one line of
 * wiring: provide the demo's layers, honour `--timeline <file>` (record the
 * run with `Timeline` and write its picture: `.html`, `.svg`, `.json` for
 * Perfetto, `.txt`), and run with `NodeRuntime.runMain` (Ctrl-C interrupts
 * the program, whose finalizers then run).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Demo, Upstream, UpstreamClient } from "@fiberkit/upstream"
 * import { Layer } from "effect"
 *
 * const program = Effect.log("hello")
 * Demo.main(program, Layer.merge(Upstream.layer(), UpstreamClient.layer))
 * ```
 *
 * @since 0.1.0
 * @category runners
 */
export const main = <A, E, R, E2>(
  program: Effect.Effect<A, E, R>,
  layer: Layer.Layer<R, E2>,
  argv: ReadonlyArray<string> = process.argv
): void =>
  NodeRuntime.runMain(
    program.pipe(
      Timeline.fromArgv(argv, (file, contents) =>
        Effect.sync(() => {
          fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
          fs.writeFileSync(file, contents)
        })),
      Effect.provide(layer)
    )
  )
