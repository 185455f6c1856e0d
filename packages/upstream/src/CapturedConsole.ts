/**
 * A `Console` that records what a demo prints instead of writing it, so a
 * demo's test can run the real program quietly and assert on its output.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface CapturedConsole {
  readonly lines: ReadonlyArray<string>
  readonly console: Console.Console
}

/**
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { CapturedConsole } from "@fiberkit/upstream"
 *
 * const captured = CapturedConsole.make()
 * Effect.runSync(Console.log("hello").pipe(Effect.withConsole(captured.console)))
 * console.log(captured.lines) // ["hello"]
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): CapturedConsole => {
  const lines: Array<string> = []
  const record = (...args: ReadonlyArray<unknown>) => {
    lines.push(args.map((a) => typeof a === "string" ? a : JSON.stringify(a)).join(" "))
  }
  const noop = () => {}
  const unsafe: Console.UnsafeConsole = {
    assert: noop,
    clear: noop,
    count: noop,
    countReset: noop,
    debug: record,
    dir: record,
    dirxml: record,
    error: record,
    group: noop,
    groupCollapsed: noop,
    groupEnd: noop,
    info: record,
    log: record,
    table: record,
    time: noop,
    timeEnd: noop,
    timeLog: noop,
    trace: record,
    warn: record
  }
  const lift = (f: (...args: ReadonlyArray<any>) => void) => (...args: ReadonlyArray<any>) =>
    Effect.sync(() => f(...args))
  const console: Console.Console = {
    [Console.TypeId]: Console.TypeId,
    assert: lift(noop),
    clear: Effect.void,
    count: lift(noop),
    countReset: lift(noop),
    debug: lift(record),
    dir: lift(record),
    dirxml: lift(record),
    error: lift(record),
    group: lift(noop),
    groupEnd: Effect.void,
    info: lift(record),
    log: lift(record),
    table: lift(record),
    time: lift(noop),
    timeEnd: lift(noop),
    timeLog: lift(noop),
    trace: lift(record),
    warn: lift(record),
    unsafe
  }
  return { lines, console }
}
