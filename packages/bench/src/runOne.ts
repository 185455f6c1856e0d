/**
 * Child process: runs one implementation of one workload once and prints one
 * JSON line. Invoked by main.ts: `tsx src/runOne.ts <workload> <implementation> <size>`.
 */
import { loadWorkloads } from "./workloads.js"

const [id, name, sizeArg] = process.argv.slice(2)
const workload = (await loadWorkloads()).find((w) => w.id === id)
const implementation = workload?.implementations[name ?? ""]
if (workload === undefined || implementation === undefined) {
  console.error(`unknown workload/implementation: ${id} / ${name}`)
  process.exit(2)
}
const size = Number(sizeArg)
const start = performance.now()
let result
try {
  result = await implementation.run(size)
} catch (error) {
  result = { ok: false, detail: `threw: ${String(error)}` }
}
const ms = performance.now() - start
// maxRSS is in kilobytes and covers the whole life of this process.
const peakRssMb = process.resourceUsage().maxRSS / 1024
process.stdout.write(`\n@@result ${JSON.stringify({ ms, peakRssMb, ...result })}\n`)
process.exit(0)
