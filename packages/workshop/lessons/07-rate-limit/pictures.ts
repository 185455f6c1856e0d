/**
 * The runs the README draws side by side (pictures/*.svg and *.txt), under the
 * TestClock. Regenerate with `pnpm --filter @fiberkit/workshop pictures 07`.
 *
 * Six addresses to geocode at once, against an API that allows 10 lookups per
 * second with bursts of 2. Each lookup (50 ms) is a region on its lane.
 */
import { Timeline, TokenBucket } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type Picture, region } from "../_shared/pictures.js"
import { Geocoder } from "./api.js"
import { geocodeAll } from "./solution.js"

const lookup = () => Effect.sleep("50 millis").pipe(Effect.as({ lat: 52.5, lon: 13.4 }), region("GET /geocode", "note"))
const named = (address: string) => Effect.withSpan(`lookup ${address}`)

const addresses = ["Hauptstr. 1", "Ringweg 2", "Am Markt 3", "Gartenstr. 4", "Bahnhofstr. 5", "Lindenallee 6"]

// The README's broken version: each lookup makes a bucket of its own.
const lookupOne = (address: string) =>
  Effect.flatMap(Geocoder, (geocoder) =>
    Effect.scoped(
      Effect.flatMap(
        TokenBucket.make({ rate: 10, per: "1 second", burst: 2 }),
        (bucket) => geocoder.lookup(address).pipe(TokenBucket.withTokens(bucket))
      )
    ))

const allBroken = Effect.forEach(addresses, (address) => lookupOne(address).pipe(named(address)), {
  concurrency: "unbounded"
}).pipe(Timeline.named("geocodeAll"), Effect.provide(Layer.succeed(Geocoder, { lookup })))

// The fix is the lesson's solution: one bucket shared by every lookup (each lane named by its address).
const allFixed = Effect.scoped(geocodeAll(addresses)).pipe(
  Timeline.named("geocodeAll"),
  Effect.provide(Layer.succeed(Geocoder, { lookup: (address) => lookup().pipe(named(address)) }))
)

export const pictures: ReadonlyArray<Picture> = [
  {
    name: "bucket-broken",
    title: "Broken: a bucket per lookup",
    label: "a bucket per lookup (broken)",
    program: allBroken
  },
  {
    name: "bucket-fixed",
    title: "Fixed: one bucket, shared",
    label: "one shared bucket (fixed)",
    program: allFixed
  }
]
