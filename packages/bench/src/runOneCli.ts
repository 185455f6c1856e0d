/** The tsx entry for workloads marked `needsTsx`: `tsx src/runOneCli.ts <workload> <implementation> <size>`. */
import { runOne } from "./runOne.js"
import { loadWorkloads } from "./workloads.js"

const [id, name, size] = process.argv.slice(2)
const workload = (await loadWorkloads()).find((w) => w.id === id)
if (workload === undefined) {
  console.error(`unknown workload: ${id}`)
  process.exit(2)
}
await runOne(workload, name ?? "", Number(size))
