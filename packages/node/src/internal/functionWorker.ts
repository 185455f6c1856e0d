/**
 * The worker behind `Offload.makeFunctionPool`: it compiles the source of the
 * function it is sent (once per distinct source) and applies it to the
 * arguments. The function must not close over anything of the caller's.
 */
import * as Effect from "effect/Effect"
import { FunctionError, RunFunction } from "./functionRequest.js"
import { serve } from "./offload.js"

const compiled = new Map<string, (...args: ReadonlyArray<unknown>) => unknown>()

const compile = (source: string) => {
  let fn = compiled.get(source)
  if (fn === undefined) {
    fn = new Function(`return (${source})`)() as (...args: ReadonlyArray<unknown>) => unknown
    compiled.set(source, fn)
  }
  return fn
}

const toFunctionError = (error: unknown) =>
  error instanceof Error ?
    new FunctionError({ name: error.name, detail: error.message, ...(error.stack ? { stack: error.stack } : {}) }) :
    new FunctionError({ name: "NonError", detail: String(error) })

serve(RunFunction, {
  RunFunction: ({ args, source }) =>
    Effect.tryPromise({
      try: async () => await compile(source)(...args),
      catch: toFunctionError
    })
})
