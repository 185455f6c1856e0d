import * as fs from "node:fs"
import * as path from "node:path"
import type { Workload } from "./Workload.js"

/** Every file in src/workloads exports `workload`; adding a file adds a workload. */
export const workloadFiles = (): Array<string> => {
  const dir = path.join(import.meta.dirname, "workloads")
  return fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).sort().map((f) => path.join(dir, f))
}

export const loadWorkloads = async (): Promise<Array<Workload & { readonly file: string }>> =>
  Promise.all(
    workloadFiles().map(async (file) => ({ ...(await import(file) as { workload: Workload }).workload, file }))
  )
