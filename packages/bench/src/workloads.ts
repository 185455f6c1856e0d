import * as fs from "node:fs"
import * as path from "node:path"
import type { Workload } from "./Workload.js"

/** Every file in src/workloads exports `workload`; adding a file adds a workload. */
export const loadWorkloads = async (): Promise<Array<Workload>> => {
  const dir = path.join(import.meta.dirname, "workloads")
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()
  const modules = await Promise.all(files.map((f) => import(path.join(dir, f)) as Promise<{ workload: Workload }>))
  return modules.map((m) => m.workload)
}
