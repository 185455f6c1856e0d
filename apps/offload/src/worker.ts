/** The worker module of the demo's pool: one handler, the same function the main thread runs. */
import { Offload } from "@fiberkit/node"
import * as Effect from "effect/Effect"
import { CountPrimes, countPrimes } from "./jobs.js"

Offload.serve(CountPrimes, { CountPrimes: ({ limit }) => Effect.sync(() => countPrimes(limit)) })
