import * as Schema from "effect/Schema"

/** Asked by a worker thread, answered by the main thread (which owns the HTTP client). */
export class ItemPrice extends Schema.TaggedRequest<ItemPrice>()("ItemPrice", {
  failure: Schema.String,
  success: Schema.Number,
  payload: { id: Schema.Int }
}) {}

/** Run on a worker: total the prices of some items, asking the main thread for each. */
export class PriceBasket extends Schema.TaggedRequest<PriceBasket>()("PriceBasket", {
  failure: Schema.String,
  success: Schema.Struct({ total: Schema.Number, thread: Schema.Number }),
  payload: { ids: Schema.Array(Schema.Int) }
}) {}
