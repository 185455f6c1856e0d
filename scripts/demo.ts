/**
 * `pnpm demo`: runs every app's demo in turn, each in its own process exactly
 * as a user would (`pnpm --filter @fiberkit/demo-<slug> start`), and exits
 * non-zero if any demo fails. `pnpm demo task-group queues` runs a subset.
 * Each demo also records its run with `--timeline` into timelines/<slug>.html (one picture per demo);
 * `pnpm demo --no-timelines` skips the recording.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const apps = fs.readdirSync(path.join(root, "apps"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(root, "apps", entry.name, "package.json")))
  .map((entry) => entry.name)
  .sort()

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith("-"))
const unknown = wanted.filter((name) => !apps.includes(name))
if (unknown.length > 0) {
  console.error(`unknown demo(s): ${unknown.join(", ")}; available: ${apps.join(", ")}`)
  process.exit(2)
}
const selected = wanted.length > 0 ? apps.filter((name) => wanted.includes(name)) : apps

const recordTimelines = !process.argv.includes("--no-timelines")
const timelines = path.join(root, "timelines")
if (recordTimelines) fs.mkdirSync(timelines, { recursive: true })

const results: Array<{ name: string; status: number; ms: number }> = []
for (const [i, name] of selected.entries()) {
  const banner = `[${i + 1}/${selected.length}] demo ${name}`
  console.log(`\n${"=".repeat(banner.length)}\n${banner}\n${"=".repeat(banner.length)}`)
  const start = performance.now()
  const timeline = recordTimelines ? ["--", "--timeline", path.join(timelines, `${name}.html`)] : []
  const run = spawnSync("pnpm", ["--silent", "--filter", `@fiberkit/demo-${name}`, "start", ...timeline], {
    cwd: root,
    stdio: "inherit",
    timeout: 5 * 60_000
  })
  results.push({ name, status: run.status ?? 1, ms: Math.round(performance.now() - start) })
}

console.log("\nsummary")
for (const r of results) console.log(`  ${r.status === 0 ? "ok  " : "FAIL"} ${r.name.padEnd(20)} ${r.ms} ms`)
const failed = results.filter((r) => r.status !== 0)
console.log(`${results.length - failed.length} of ${results.length} demos exited 0`)
if (recordTimelines) {
  console.log(`timelines of every run (open in a browser): ${path.relative(process.cwd(), timelines)}/<slug>.html`)
}
process.exit(failed.length === 0 ? 0 : 1)
