/**
 * `pnpm consumer-check`: installs fiberkit the way a user does and proves it works there.
 *
 * 1. `pnpm build` (skip with `--no-build` when `dist/` is fresh), then `pnpm pack` every library package
 *    (a package under `packages/` with `publishConfig.directory`), which packs its built `dist/`.
 * 2. A fresh project in the OS temp directory, outside the workspace (no workspace links), installs the
 *    tarballs plus the pinned `effect` and `@effect/platform*` offline from the pnpm store, with pnpm's
 *    strict layout, so an undeclared dependency or a peer range that excludes the pinned version fails.
 * 3. Runtime, under ESM (`import`) and CJS (`require`): every `exports` entry loads, every public module
 *    of the sources has an entry, every `internal/*` path is refused, and a small program runs on
 *    TaskGroup (plus Limiter and TokenBucket, and Offload when `@fiberkit/node` is packed) with its
 *    results checked. Both formats must print the same summary.
 * 4. Types, with the workspace's `tsc` and `skipLibCheck: false` (so our `.d.ts` files are checked too):
 *    a consumer importing every module type-checks under `moduleResolution` NodeNext (an `.mts` and a
 *    `.cts` file), Bundler (core only, without `@types/node`: core's types are platform-free) and Node10
 *    (through `typesVersions`); a file importing `internal/*` paths must fail with "cannot find module"
 *    for each of them, and for nothing else.
 *
 * `--self-test` then breaks the installed package on purpose and requires the check to report it.
 * Exit code 0 when everything holds; 1 with the reasons otherwise. `--keep` keeps the temp project.
 */
import { execFile, execFileSync, type ExecFileSyncOptions, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const args = new Set(process.argv.slice(2))
const started = Date.now()
const failures: Array<string> = []

const log = (line: string) => console.log(`[consumer-check ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`)
const run = (command: string, argv: ReadonlyArray<string>, options: ExecFileSyncOptions = {}): string => {
  try {
    return execFileSync(command, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options }).toString()
  } catch (error) {
    const e = error as { stdout?: Buffer | string; stderr?: Buffer | string; message: string }
    throw new Error(
      `${command} ${argv.join(" ")} failed:\n${e.stdout?.toString() ?? ""}${e.stderr?.toString() ?? ""}`.trim()
    )
  }
}
const readJson = <A>(file: string): A => JSON.parse(fs.readFileSync(file, "utf8")) as A

interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly publishConfig?: { readonly directory?: string }
  readonly devDependencies?: Record<string, string>
  readonly exports?: Record<string, unknown>
}

interface Library {
  readonly name: string
  readonly dir: string
  readonly modules: ReadonlyArray<string>
  readonly internals: ReadonlyArray<string>
  tarball: string
}

// --- 1. build and pack ---------------------------------------------------------------------------------
const libraries: Array<Library> = fs.readdirSync(path.join(root, "packages"))
  .map((entry) => path.join(root, "packages", entry))
  .filter((dir) => fs.existsSync(path.join(dir, "package.json")))
  .flatMap((dir) => {
    const manifest = readJson<Manifest>(path.join(dir, "package.json"))
    if (manifest.private === true || manifest.publishConfig?.directory === undefined) return []
    const src = path.join(dir, "src")
    const modules = fs.readdirSync(src).filter((f) => /^[A-Z][A-Za-z0-9]*\.ts$/.test(f)).map((f) => f.slice(0, -3))
    const internalDir = path.join(src, "internal")
    const internals = fs.existsSync(internalDir)
      ? fs.readdirSync(internalDir).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3))
      : []
    return [{ name: manifest.name, dir, modules: modules.sort(), internals: internals.sort(), tarball: "" }]
  })
if (libraries.length === 0) throw new Error("no library package (packages/* with publishConfig.directory) found")

if (!args.has("--no-build")) {
  log("pnpm build")
  run("pnpm", ["build"], { cwd: root })
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "fiberkit-consumer-"))
const tarballs = path.join(work, "tarballs")
const project = path.join(work, "project")
fs.mkdirSync(tarballs)
fs.mkdirSync(project)
for (const lib of libraries) {
  run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: lib.dir })
  const file = fs.readdirSync(tarballs).find((f) => f.startsWith(lib.name.replace("@", "").replace("/", "-") + "-"))
  if (file === undefined) throw new Error(`pnpm pack wrote no tarball for ${lib.name}`)
  lib.tarball = path.join(tarballs, file)
}
log(`packed ${libraries.map((lib) => `${lib.name} (${lib.modules.length} modules)`).join(", ")}`)

// --- 2. a fresh project --------------------------------------------------------------------------------
const core = libraries.find((lib) => lib.name === "@fiberkit/core")
if (core === undefined) throw new Error("@fiberkit/core is not a library package")
const node = libraries.find((lib) => lib.name === "@fiberkit/node")

// The versions a user pins next to fiberkit: the ones the workspace develops and tests against.
const pinned = (name: string): string => {
  const manifests = [path.join(root, "package.json"), ...libraries.map((lib) => path.join(lib.dir, "package.json"))]
  for (const file of manifests) {
    const version = readJson<Manifest>(file).devDependencies?.[name]
    if (version !== undefined) return version
  }
  throw new Error(`no pinned version of ${name} in the workspace`)
}
const fileSpec = (lib: Library) => `file:${lib.tarball}`
const dependencies: Record<string, string> = {
  effect: pinned("effect"),
  "@effect/platform": pinned("@effect/platform"),
  "@types/node": pinned("@types/node"),
  ...Object.fromEntries(libraries.map((lib) => [lib.name, fileSpec(lib)]))
}
if (node !== undefined) dependencies["@effect/platform-node"] = pinned("@effect/platform-node")
fs.writeFileSync(
  path.join(project, "package.json"),
  JSON.stringify(
    {
      name: "fiberkit-consumer",
      version: "0.0.0",
      private: true,
      dependencies,
      // @fiberkit/node depends on @fiberkit/core by version; point that at the tarball, not a registry.
      pnpm: { overrides: Object.fromEntries(libraries.map((lib) => [lib.name, fileSpec(lib)])) }
    },
    null,
    2
  )
)
const storeDir = run("pnpm", ["store", "path"], { cwd: root }).trim()
const install = (mode: "--offline" | "--prefer-offline") =>
  run("pnpm", [
    "install",
    mode,
    "--ignore-workspace",
    "--store-dir",
    storeDir,
    "--config.strict-peer-dependencies=true",
    // @effect/platform-node's own peers (@effect/cluster, rpc, sql) come in as a user's install brings them
    "--config.auto-install-peers=true",
    "--config.node-linker=isolated",
    "--reporter=silent"
  ], { cwd: project })
try {
  install("--offline")
  log("installed offline from the pnpm store")
} catch (error) {
  log(`offline install failed, retrying with --prefer-offline: ${(error as Error).message.split("\n")[0]}`)
  install("--prefer-offline")
}

// Nothing may resolve to the workspace: the installed packages are real copies from the tarballs.
const checkManifests = (sink: Array<string>) => {
  for (const lib of libraries) {
    const installed = fs.realpathSync(path.join(project, "node_modules", lib.name))
    if (installed.startsWith(root + path.sep)) sink.push(`${lib.name} resolves into the workspace (${installed})`)
    const manifest = readJson<Manifest>(path.join(installed, "package.json"))
    const entries = Object.keys(manifest.exports ?? {})
    for (const mod of lib.modules) {
      if (!entries.includes(`./${mod}`)) sink.push(`${lib.name}: public module ${mod} is missing from exports`)
    }
    if (!entries.includes(".")) sink.push(`${lib.name}: the index is missing from exports`)
    if (manifest.exports?.["./internal/*"] !== null) sink.push(`${lib.name}: exports lacks "./internal/*": null`)
  }
}

// --- 3. runtime, ESM and CJS ---------------------------------------------------------------------------
const has = (mod: string) => core.modules.includes(mod)
const specs = libraries.flatMap((lib) => [lib.name, ...lib.modules.map((mod) => `${lib.name}/${mod}`)])
const internalSpecs = libraries.flatMap((lib) => lib.internals.map((mod) => `${lib.name}/internal/${mod}`))

// One program, written once, run with `import` from an .mjs file and with `require` from a .cjs file.
const programBody = `
const specs = ${JSON.stringify(specs)}
const internalSpecs = ${JSON.stringify(internalSpecs)}
const problems = []
for (const spec of specs) {
  try {
    const mod = await load(spec)
    if (Object.keys(mod).length === 0) problems.push(spec + " loaded with no exports")
  } catch (error) {
    problems.push(spec + " failed to load: " + error.message.split("\\n")[0])
  }
}
for (const spec of internalSpecs) {
  try {
    await load(spec)
    problems.push(spec + " is reachable: internals leak")
  } catch (error) {
    if (error.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") problems.push(spec + ": unexpected " + error.code)
  }
}
const { Effect, Exit } = await load("effect")
const fk = await load("@fiberkit/core")
const { TaskGroup } = fk
const summary = { format }
// the namespace from the index and the subpath module are one module, not two copies
try {
  const subpath = await load("@fiberkit/core/TaskGroup")
  if (subpath.runAll !== TaskGroup.runAll) problems.push("@fiberkit/core/TaskGroup and the index disagree")
} catch {
  // reported above, with every entry point that fails to load
}
const program = Effect.gen(function*() {
  const work = (i) => Effect.succeed(i * i).pipe(Effect.delay(1 + (i % 3)))
  let tasks = Array.from({ length: 12 }, (_, i) => work(i))
  ${
  has("Limiter") ?
    `const limiter = yield* fk.Limiter.make({ permits: 3, label: "consumer" })
  tasks = tasks.map((task) => fk.Limiter.withPermit(limiter)(task))` :
    ""
}
  ${
  has("TokenBucket") ?
    `const bucket = yield* fk.TokenBucket.make({ rate: 1000, per: "1 second", burst: 4 })
  tasks = tasks.map((task) => fk.TokenBucket.withTokens(bucket)(task))` :
    ""
}
  summary.squares = yield* TaskGroup.runAll(tasks)
  const settled = yield* TaskGroup.runAll([Effect.succeed(1), Effect.fail("boom")], { mode: "settle" })
  summary.settled = settled.map((exit) => Exit.isSuccess(exit) ? "ok" : "failed")
  ${has("Limiter") ? `summary.limiterPeak = (yield* fk.Limiter.statistics(limiter)).peakInFlight` : ""}
  ${has("TokenBucket") ? `summary.bucketAdmitted = (yield* fk.TokenBucket.statistics(bucket)).admitted` : ""}
  ${
  has("Limiter") ?
    `const bad = yield* Effect.either(fk.Limiter.make({ permits: 0 }))
  summary.badInput = bad._tag === "Left" ? bad.left._tag : "accepted"` :
    ""
}
  ${
  node !== undefined ?
    `const { Offload } = yield* Effect.promise(() => load("@fiberkit/node"))
  const pool = yield* Offload.makeFunctionPool({ size: 1 })
  summary.offloaded = yield* Offload.call(pool, (a, b) => a * b, 6, 7)` :
    ""
}
})
await Effect.runPromise(Effect.scoped(program))
const expected = Array.from({ length: 12 }, (_, i) => i * i)
if (JSON.stringify(summary.squares) !== JSON.stringify(expected)) problems.push("TaskGroup.runAll returned " + JSON.stringify(summary.squares))
if (JSON.stringify(summary.settled) !== '["ok","failed"]') problems.push("settle mode returned " + JSON.stringify(summary.settled))
if ("limiterPeak" in summary && !(summary.limiterPeak >= 1 && summary.limiterPeak <= 3)) problems.push("Limiter let " + summary.limiterPeak + " run at once (permits: 3)")
if ("bucketAdmitted" in summary && summary.bucketAdmitted !== 12) problems.push("TokenBucket admitted " + summary.bucketAdmitted + " of 12")
if ("badInput" in summary && summary.badInput !== "InvalidArgumentError") problems.push("Limiter.make({ permits: 0 }) gave " + summary.badInput)
if ("offloaded" in summary && summary.offloaded !== 42) problems.push("Offload.call returned " + summary.offloaded)
console.log(JSON.stringify({ summary, problems }))
`
fs.writeFileSync(
  path.join(project, "esm.mjs"),
  `const format = "esm"\nconst load = (spec) => import(spec)\n${programBody}`
)
fs.writeFileSync(
  path.join(project, "cjs.cjs"),
  `const format = "cjs"\nconst load = async (spec) => require(spec)\nconst main = async () => {\n${programBody}\n}\nmain().catch((error) => { console.error(error); process.exit(1) })\n`
)

interface Report {
  readonly summary: Record<string, unknown>
  readonly problems: ReadonlyArray<string>
}
const runRuntime = (sink: Array<string>) => {
  const reports: Array<Report> = []
  for (const file of ["esm.mjs", "cjs.cjs"]) {
    try {
      const out = run(process.execPath, [file], { cwd: project, timeout: 60_000 })
      const report = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Report
      reports.push(report)
      sink.push(...report.problems.map((p) => `${file}: ${p}`))
      const { format, ...rest } = report.summary
      log(
        `${String(format)}: ${specs.length} entry points loaded, ${internalSpecs.length} internal paths refused, ${
          JSON.stringify(rest)
        }`
      )
    } catch (error) {
      sink.push(`${file}: ${(error as Error).message}`)
    }
  }
  if (reports.length === 2) {
    const strip = ({ summary: { format: _, ...rest } }: Report) => JSON.stringify(rest)
    const [esm, cjs] = reports as [Report, Report]
    if (strip(esm) !== strip(cjs)) sink.push(`ESM and CJS disagree: ${strip(esm)} vs ${strip(cjs)}`)
  }
}

// --- 4. types ------------------------------------------------------------------------------------------
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
const namespaceImports = (libs: ReadonlyArray<Library>) =>
  libs.flatMap((lib) =>
    lib.modules.map((mod) =>
      `import * as ${lib.name.replace(/[@/-]/g, "_")}_${mod} from "${lib.name}/${mod}"\nvoid ${
        lib.name.replace(/[@/-]/g, "_")
      }_${mod}`
    )
  ).join("\n")
// A program whose types must come out exactly right: an `any` from an unresolved import would make the
// IsAny checks fail, and a wrong type fails the assignments.
const typedProgram = `
import { Effect, Exit } from "effect"
import { TaskGroup${has("Limiter") ? ", Limiter" : ""}${has("TokenBucket") ? ", TokenBucket" : ""}${
  has("InvalidArgument") ? ", InvalidArgument" : ""
} } from "@fiberkit/core"

type IsAny<T> = 0 extends 1 & T ? true : false
const notAny = <T,>(_: IsAny<T> extends false ? T : never): void => undefined

const fanOut: Effect.Effect<Array<number>> = TaskGroup.runAll([Effect.succeed(1), Effect.succeed(2)])
const settled: Effect.Effect<Array<Exit.Exit<number, string>>> = TaskGroup.runAll(
  [Effect.succeed(1), Effect.fail("boom")],
  { mode: "settle" }
)
notAny(TaskGroup.runAll)
notAny(TaskGroup.spawn)
${
  has("Limiter") ?
    `const limited = Effect.gen(function*() {
  const limiter = yield* Limiter.make({ permits: 2 })
  const value: number = yield* Effect.succeed(1).pipe(Limiter.withPermit(limiter))
  const stats: Limiter.Statistics = yield* Limiter.statistics(limiter)
  return value + stats.peakInFlight
})
notAny(Limiter.make)` :
    "const limited = Effect.succeed(0)"
}
${
  has("TokenBucket") ?
    `const paced = Effect.scoped(Effect.gen(function*() {
  const bucket = yield* TokenBucket.make({ rate: 10, per: "1 second" })
  return yield* Effect.succeed("ok").pipe(TokenBucket.withTokens(bucket))
}))
notAny(TokenBucket.make)` :
    `const paced = Effect.succeed("ok")`
}
${
  has("InvalidArgument") ?
    `const isBadInput = (u: unknown): boolean => u instanceof InvalidArgument.InvalidArgumentError
void isBadInput` :
    ""
}
export const program = Effect.all([fanOut, settled, limited, paced])
`
const nodeProgram = node === undefined ? "" : `
import { Offload } from "@fiberkit/node"
export const offloaded: Effect.Effect<number, unknown, never> = Effect.scoped(Effect.gen(function*() {
  const pool = yield* Offload.makeFunctionPool({ size: 1 })
  return yield* Offload.call(pool, (a: number, b: number) => a + b, 1, 2)
}))
notAny(Offload.call)
`
const write = (file: string, content: string) => fs.writeFileSync(path.join(project, file), content)
write("consumer.mts", `${namespaceImports(libraries)}\n${typedProgram}${nodeProgram}`)
write("consumer.cts", `${namespaceImports(libraries)}\n${typedProgram}${nodeProgram}`)
write("consumer-bundler.ts", `${namespaceImports([core])}\n${typedProgram}`)
write("consumer-node10.ts", `${namespaceImports(libraries)}\n${typedProgram}${nodeProgram}`)
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}
const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })
async function startRedis(): Promise<{ readonly url: string; readonly stop: () => void }> {
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fiberkit-consumer-redis-"))
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" }
  )
  child.once("error", (error) => failures.push(`redis-server for the README example: ${error.message}`))
  for (let i = 0; i < 100 && !(await canConnect(port)); i++) await new Promise((r) => setTimeout(r, 50))
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => {
      child.kill("SIGKILL")
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
// The first program of each package README is what a new user copies: it must type-check and run here.
const readmeExamples = libraries.flatMap((lib) => {
  const readme = fs.readFileSync(path.join(lib.dir, "README.md"), "utf8")
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  if (code === undefined) {
    failures.push(`${lib.name}: README.md has no \`\`\`ts example`)
    return []
  }
  const file = `readme-${lib.name.split("/")[1]}.mts`
  write(file, code)
  return [file]
})
// a bare `import "x"` is not checked by tsc, so each path is imported as a namespace and used
write(
  "internal.mts",
  internalSpecs.map((spec, i) => `import * as internal${i} from "${spec}"\nvoid internal${i}`).join("\n") +
    "\nexport {}\n"
)

// skipLibCheck: false checks our .d.ts files (and effect's, which is most of the time spent): once, in the
// NodeNext pass that loads both packages. The other passes test resolution and the consumer's types.
const strictOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  exactOptionalPropertyTypes: true,
  target: "ES2022"
}
const configs: Record<string, { compilerOptions: Record<string, unknown>; files: Array<string> }> = {
  "tsconfig.nodenext.json": {
    compilerOptions: {
      ...strictOptions,
      skipLibCheck: false,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      types: ["node"]
    },
    files: ["consumer.mts", "consumer.cts", ...readmeExamples]
  },
  "tsconfig.bundler.json": {
    compilerOptions: {
      ...strictOptions,
      module: "ESNext",
      moduleResolution: "Bundler",
      lib: ["ES2022", "DOM"],
      types: []
    },
    files: ["consumer-bundler.ts"]
  },
  "tsconfig.node10.json": {
    compilerOptions: {
      ...strictOptions,
      module: "CommonJS",
      moduleResolution: "Node10",
      types: ["node"],
      ignoreDeprecations: "5.0"
    },
    files: ["consumer-node10.ts"]
  },
  "tsconfig.internal.json": {
    compilerOptions: { ...strictOptions, module: "NodeNext", moduleResolution: "NodeNext", types: [] },
    files: ["internal.mts"]
  }
}
for (const [file, config] of Object.entries(configs)) write(file, JSON.stringify(config, null, 2))

// The four tsc runs are independent: run them at once.
const tscRun = (config: string) =>
  new Promise<{ readonly config: string; readonly ok: boolean; readonly output: string }>((resolve) => {
    execFile(
      process.execPath,
      [tsc, "-p", config],
      { cwd: project, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ config, ok: error === null, output: `${stdout}${stderr}` })
    )
  })
const runTypes = async (sink: Array<string>) => {
  const typeChecks = await Promise.all(
    ["tsconfig.nodenext.json", "tsconfig.bundler.json", "tsconfig.node10.json", "tsconfig.internal.json"]
      .filter((config) => config !== "tsconfig.internal.json" || internalSpecs.length > 0)
      .map(tscRun)
  )
  for (const { config, ok, output } of typeChecks) {
    if (config === "tsconfig.internal.json") {
      const errorLines = output.split("\n").filter((line) => /error TS\d+/.test(line))
      const leaks = internalSpecs.filter((spec) =>
        !errorLines.some((line) => line.includes("TS2307") && line.includes(`'${spec}'`))
      )
      for (const spec of leaks) sink.push(`types: ${spec} resolves: internals leak into the types`)
      const unexpected = errorLines.filter((line) => !line.includes("TS2307"))
      if (unexpected.length > 0) sink.push(`types: unexpected errors for internal imports:\n${unexpected.join("\n")}`)
      if (ok) sink.push("types: importing internal paths type-checked")
      else if (leaks.length === 0 && unexpected.length === 0) {
        log(`tsc -p ${config}: all ${internalSpecs.length} internal paths refused`)
      }
    } else if (ok) log(`tsc -p ${config}: ok`)
    else sink.push(`tsc -p ${config}:\n${output}`)
  }
}

checkManifests(failures)
runRuntime(failures)
const tsx = path.join(root, "node_modules", ".bin", "tsx")
// @fiberkit/redis's README program talks to a Redis at REDIS_URL: give it a real one on a free loopback port.
const redis = readmeExamples.includes("readme-redis.mts") ? await startRedis() : undefined
for (const file of readmeExamples) {
  try {
    const env = redis === undefined ? process.env : { ...process.env, REDIS_URL: redis.url }
    const out = run(tsx, [file], { cwd: project, timeout: 60_000, env }).trim()
    if (out === "") failures.push(`${file}: the README example printed nothing`)
    else log(`${file} (the README example) ran: ${out.split("\n").at(-1)}`)
  } catch (error) {
    failures.push(`${file}: ${(error as Error).message}`)
  }
}
redis?.stop()
await runTypes(failures)

// --- self-test: the check must catch a broken package ------------------------------------------------
// `--self-test` breaks the installed copy of @fiberkit/core in three ways a bad release could (a module
// dropped from exports, internals exported, a .d.ts naming a type that does not exist) and requires each
// to be reported. Files are replaced, never edited in place: they are hard links into the pnpm store.
if (args.has("--self-test") && failures.length === 0) {
  const installed = fs.realpathSync(path.join(project, "node_modules", core.name))
  const replace = (file: string, content: string) => {
    fs.rmSync(file)
    fs.writeFileSync(file, content)
  }
  const manifestFile = path.join(installed, "package.json")
  const manifest = readJson<Manifest & { exports: Record<string, unknown> }>(manifestFile)
  const { ["./TaskGroup"]: _dropped, ...exportsWithoutTaskGroup } = manifest.exports
  replace(
    manifestFile,
    JSON.stringify({
      ...manifest,
      exports: {
        ...exportsWithoutTaskGroup,
        "./internal/*": {
          types: "./dist/dts/internal/*.d.ts",
          import: "./dist/esm/internal/*.js",
          default: "./dist/cjs/internal/*.js"
        }
      }
    })
  )
  const dts = path.join(installed, "dist", "dts", "Limiter.d.ts")
  replace(dts, fs.readFileSync(dts, "utf8") + "\nexport declare const broken: TypeThatDoesNotExist\n")
  const caught: Array<string> = []
  checkManifests(caught)
  runRuntime(caught)
  await runTypes(caught)
  const expectations: ReadonlyArray<readonly [string, RegExp]> = [
    ["a module missing from exports", /public module TaskGroup is missing from exports/],
    ["the module failing to load", /@fiberkit\/core\/TaskGroup failed to load/],
    ["internals exported at runtime", /internal\/taskGroup is reachable: internals leak/],
    ["internals resolving in the types", /internal\/taskGroup resolves: internals leak into the types/],
    ["an unresolved type in a .d.ts", /Limiter\.d\.ts.*TS2304/]
  ]
  for (const [what, pattern] of expectations) {
    if (caught.some((line) => pattern.test(line))) log(`self-test: caught ${what}`)
    else failures.push(`self-test: a package with ${what} passed the check`)
  }
}

// --- verdict -------------------------------------------------------------------------------------------
if (args.has("--keep")) log(`kept ${work}`)
else fs.rmSync(work, { recursive: true, force: true })
if (failures.length > 0) {
  console.error(`consumer check FAILED:\n- ${failures.join("\n- ")}`)
  process.exit(1)
}
log(`passed: ${libraries.map((lib) => lib.name).join(", ")} install, load (ESM + CJS), run and type-check`)
