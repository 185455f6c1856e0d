import { describe, expect, it } from "@effect/vitest"
import { loadWorkloads } from "../src/workloads.js"

// Each implementation's own check must pass at a small size; the bench then only measures speed.
const workloads = await loadWorkloads()

describe("bench workloads are correct at small sizes", () => {
  for (const workload of workloads) {
    for (const [name, implementation] of Object.entries(workload.implementations)) {
      it(`${workload.id} ${name}`, async () => {
        const size = workload.fixedSize ? workload.size : Math.max(10, Math.round(workload.size / 1000))
        const result = await implementation.run(size)
        expect(result.ok, result.detail).toBe(true)
      }, 60_000)
    }
  }
})
