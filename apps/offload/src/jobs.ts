import * as Schema from "effect/Schema"

/** Count the primes up to `limit` (a sieve of Eratosthenes): pure CPU, no I/O at all. */
export class CountPrimes extends Schema.TaggedRequest<CountPrimes>()("CountPrimes", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: { limit: Schema.Int }
}) {}

export const countPrimes = (limit: number): number => {
  const composite = new Uint8Array(limit + 1)
  let count = 0
  for (let i = 2; i <= limit; i++) {
    if (composite[i]) continue
    count++
    for (let j = i * i; j <= limit; j += i) composite[j] = 1
  }
  return count
}
