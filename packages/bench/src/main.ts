/**
 * pnpm bench                 every workload, full size, median of 5 fresh processes per implementation
 * pnpm bench --quick         a tenth of the size, median of 3: for development
 * pnpm bench W1 W4           only these workloads (written to results/partial.json and PARTIAL.md)
 *
 * Prints a table, writes results/latest.json and results/README.md (quick: quick.json and QUICK.md).
 */
import * as esbuild from "esbuild"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Check, Workload } from "./Workload.js"
import { loadWorkloads } from "./workloads.js"

const benchDir = path.resolve(import.meta.dirname, "..")
const args = process.argv.slice(2)
const quick = args.includes("--quick")
const filters = args.filter((a) => !a.startsWith("-")).map((a) => a.toUpperCase())
const runs = quick ? 3 : 5

interface Record {
  readonly workload: string
  readonly title: string
  readonly implementation: string
  readonly kind: string
  readonly size: number
  readonly unit: string
  readonly medianMs: number | null
  readonly throughputPerSec: number | null
  readonly peakRssMb: number | null
  readonly ok: boolean
  readonly detail?: string
  readonly metrics?: { readonly [key: string]: number }
  readonly runs: number
}

type RunResult = Check & { readonly ms: number; readonly peakRssMb: number }

const parse = (stdout: string): RunResult | undefined => {
  const line = stdout.split("\n").find((l) => l.startsWith("@@result "))
  return line === undefined ? undefined : JSON.parse(line.slice("@@result ".length)) as RunResult
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const hasPython = spawnSync("python3", ["--version"]).status === 0

const runChild = (command: string, argv: ReadonlyArray<string>): RunResult => {
  const child = spawnSync(command, argv, { cwd: benchDir, encoding: "utf8", timeout: 10 * 60_000, maxBuffer: 64 << 20 })
  const result = parse(child.stdout ?? "")
  if (result !== undefined) return result
  const why = (child.stderr || child.error?.message || `exit ${child.status}`).trim().split("\n").slice(-3).join(" | ")
  return { ok: false, detail: `no result: ${why}`, ms: NaN, peakRssMb: NaN }
}

const measure = (
  workload: Workload,
  name: string,
  kind: string,
  command: string,
  argv: ReadonlyArray<string>,
  size: number
): Record => {
  const results: Array<RunResult> = []
  for (let i = 0; i < runs; i++) {
    const result = runChild(command, argv)
    results.push(result)
    if (!result.ok) break
  }
  const failed = results.find((r) => !r.ok)
  const last = results[results.length - 1]!
  const metrics: { [key: string]: number } = {}
  for (const key of Object.keys(last.metrics ?? {})) metrics[key] = median(results.map((r) => r.metrics?.[key] ?? NaN))
  const medianMs = failed ? null : median(results.map((r) => r.ms))
  return {
    workload: workload.id,
    title: workload.title,
    implementation: name,
    kind,
    size,
    unit: workload.unit,
    medianMs,
    throughputPerSec: medianMs === null ? null : size / (medianMs / 1000),
    peakRssMb: failed ? null : median(results.map((r) => r.peakRssMb)),
    ok: failed === undefined,
    ...(failed?.detail !== undefined
      ? { detail: failed.detail }
      : last.detail !== undefined
      ? { detail: last.detail }
      : {}),
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
    runs: results.length
  }
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n) ? "-" : n.toLocaleString("en-US", { maximumFractionDigits: digits })

const selected = (await loadWorkloads()).filter((w) => filters.length === 0 || filters.includes(w.id.toUpperCase()))
// A workload that needs something this machine lacks (redis-server for R1-R3) is skipped with one line.
const skipped = selected.flatMap((w) => {
  const reason = w.unavailable?.()
  return reason === undefined ? [] : [{ workload: w, reason }]
})
const workloads = selected.filter((w) => !skipped.some((s) => s.workload === w))

// Each workload is bundled into one plain-node script (fiberkit's TypeScript sources compiled in, effect and
// the Promise libraries left as packages): under the tsx loader every process would start at ~130 MB of RSS.
const bundleDir = path.join(benchDir, "build", "bench")
fs.mkdirSync(bundleDir, { recursive: true })
const bundles = new Map<string, string>()
for (const workload of workloads) {
  if (workload.needsTsx) continue
  const outfile = path.join(bundleDir, `${workload.id}.mjs`)
  await esbuild.build({
    stdin: {
      contents: `import { workload } from ${JSON.stringify(workload.file)}\n` +
        `import { runOne } from ${JSON.stringify(path.join(benchDir, "src", "runOne.ts"))}\n` +
        `await runOne(workload, process.argv[2], Number(process.argv[3]))\n`,
      resolveDir: benchDir,
      loader: "ts"
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "error",
    external: ["effect", "effect/*", "@effect/*", "p-limit", "p-map", "p-queue"]
  })
  bundles.set(workload.id, outfile)
}
const records: Array<Record> = []

console.log(
  `fiberkit bench: ${
    quick ? "quick (1/10 size, median of 3)" : "full (median of 5)"
  }, node ${process.version}, ${os.cpus().length} cores\n`
)
for (const { reason, workload } of skipped) console.log(`${workload.id} ${workload.title}: skipped, ${reason}\n`)
for (const workload of workloads) {
  const size = quick && !workload.fixedSize ? Math.max(1, Math.round(workload.size / 10)) : workload.size
  console.log(`${workload.id} ${workload.title} (${fmt(size)} ${workload.unit})`)
  const entries: Array<[string, string, string, ReadonlyArray<string>]> = Object.entries(workload.implementations).map((
    [name, impl]
  ) => [
    name,
    impl.kind,
    process.execPath,
    bundles.has(workload.id) ?
      [bundles.get(workload.id)!, name, String(size)] :
      ["--import", "tsx", "src/runOneCli.ts", workload.id, name, String(size)]
  ])
  if (workload.python) {
    if (hasPython) {
      entries.push([workload.python.name, "asyncio", "python3", [
        path.join("python", workload.python.file),
        String(size)
      ]])
    } else console.log(`  (python3 not on PATH: skipping ${workload.python.name})`)
  }
  const rows: Array<Record> = []
  for (const [name, kind, command, argv] of entries) {
    const record = measure(workload, name, kind, command, argv, size)
    rows.push(record)
    const extra = (workload.columns ?? []).map((c) => `${c} ${fmt(record.metrics?.[c], 1)}`).join("  ")
    console.log(
      `  ${record.ok ? "   " : "!! "}${name.padEnd(34)} ${fmt(record.medianMs, 1).padStart(9)} ms ${
        fmt(record.throughputPerSec).padStart(11)
      } ${workload.unit}/s ${fmt(record.peakRssMb).padStart(6)} MB  ${extra}${
        record.ok ? "" : ` FAILED: ${record.detail}`
      }`
    )
  }
  records.push(...rows)
  console.log("")
}

const resultsDir = path.join(benchDir, "results")
fs.mkdirSync(resultsDir, { recursive: true })
const meta = {
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  node: process.version,
  python: hasPython ? spawnSync("python3", ["--version"], { encoding: "utf8" }).stdout.trim() : null,
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
  memoryGb: Math.round(os.totalmem() / 2 ** 30),
  effect: JSON.parse(fs.readFileSync(path.join(benchDir, "node_modules/effect/package.json"), "utf8")).version as string
}
// The committed report is always one whole full run (the targets are judged on one run): a full run of only
// some workloads writes partial.json / PARTIAL.md (ignored by git) and leaves latest.json and README.md alone.
const outName = quick ? "quick" : filters.length > 0 ? "partial" : "latest"
const markdownName = quick ? "QUICK.md" : filters.length > 0 ? "PARTIAL.md" : "README.md"
fs.writeFileSync(
  path.join(resultsDir, `${outName}.json`),
  JSON.stringify({ meta, records }, null, 2) + "\n"
)

const report: Array<string> = [
  `# fiberkit benchmarks`,
  ``,
  `Generated by \`pnpm bench${quick ? " --quick" : ""}\` on ${
    meta.date.slice(0, 10)
  }: ${meta.cpus}, ${meta.memoryGb} GB, node ${meta.node}, ${meta.python ?? "no python3"}, effect ${meta.effect}.`,
  `Each row is the median of ${runs} fresh processes; peak RSS is that process's own (plain node running a pre-bundled script; bare node starts at about 40 MB). A row whose result check failed shows no time.`,
  ``
]
for (const workload of workloads) {
  const rows = records.filter((r) => r.workload === workload.id)
  const fastest = Math.min(...rows.filter((r) => r.ok && r.medianMs !== null).map((r) => r.medianMs!))
  report.push(`## ${workload.id}: ${workload.title}`, ``)
  const cols = workload.columns ?? []
  report.push(
    `| implementation | kind | median ms | ${workload.unit}/s | × fastest | peak RSS MB | ${
      cols.map((c) => `${c} |`).join(" ")
    } check |`
  )
  report.push(`|---|---|---|---|---|---|${cols.map(() => "---|").join("")}---|`)
  for (const r of rows) {
    report.push(
      `| ${r.implementation} | ${r.kind} | ${fmt(r.medianMs, 1)} | ${fmt(r.throughputPerSec)} | ${
        r.medianMs === null ? "-" : fmt(r.medianMs / fastest, 2)
      } | ${fmt(r.peakRssMb)} | ${cols.map((c) => `${fmt(r.metrics?.[c], 1)} |`).join(" ")} ${r.ok ? "ok" : "FAILED"}${
        r.detail ? ` (${r.detail})` : ""
      } |`
    )
  }
  report.push(``)
}
for (const { reason, workload } of skipped) {
  report.push(`## ${workload.id}: ${workload.title}`, ``, `Skipped: ${reason}.`, ``)
}
const notesFile = path.join(benchDir, "NOTES.md")
if (fs.existsSync(notesFile)) report.push(fs.readFileSync(notesFile, "utf8"))
fs.writeFileSync(path.join(resultsDir, markdownName), report.join("\n") + "\n")
console.log(
  `wrote ${path.relative(process.cwd(), path.join(resultsDir, `${outName}.json`))} and ${
    path.relative(process.cwd(), path.join(resultsDir, markdownName))
  }`
)
// A peer failing its check is a finding (Effect's RateLimiter over its window, say); only fiberkit's own
// rows failing make the run fail.
const fiberkitFailed = records.filter((r) => r.kind === "fiberkit" && !r.ok)
if (fiberkitFailed.length > 0) {
  console.log(
    `fiberkit rows that failed their check: ${
      fiberkitFailed.map((r) => `${r.workload} ${r.implementation}`).join(", ")
    }`
  )
}
process.exit(fiberkitFailed.length === 0 ? 0 : 1)
