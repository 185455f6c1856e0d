/**
 * Child process: runs one implementation of one workload once and prints one JSON line.
 * main.ts normally runs a pre-bundled copy of this per workload (plain node, so peak RSS is the
 * implementation's own and not the TypeScript loader's); workloads that need
 * the TypeScript loader run `tsx src/runOneCli.ts <workload> <implementation> <size>` instead.
 */
import type { Workload } from "./Workload.js"

export const runOne = async (workload: Workload, name: string, size: number): Promise<never> => {
  const implementation = workload.implementations[name]
  if (implementation === undefined) {
    console.error(`unknown implementation of ${workload.id}: ${name}`)
    process.exit(2)
  }
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
}
