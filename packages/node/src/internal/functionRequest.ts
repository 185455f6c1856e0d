import * as Schema from "effect/Schema"

/**
 * What a function run on an Offload pool threw, with the parts of the error
 * that survive a thread boundary.
 *
 * @internal
 */
export class FunctionError extends Schema.TaggedError<FunctionError>()("FunctionError", {
  name: Schema.String,
  detail: Schema.String,
  stack: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `offloaded function threw ${this.name}: ${this.detail}`
  }
}

/** @internal */
export class RunFunction extends Schema.TaggedRequest<RunFunction>()("RunFunction", {
  failure: FunctionError,
  success: Schema.Unknown,
  payload: { source: Schema.String, args: Schema.Array(Schema.Unknown) }
}) {}
