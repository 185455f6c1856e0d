/**
 * The last step of a library package's `pnpm build`, run from the package directory after
 * `build-utils pack-v3` has written `dist/` (the directory `pnpm pack` and `pnpm publish` use through
 * `publishConfig.directory`).
 *
 * pack-v3 builds the published manifest from the workspace one, but it keeps only some fields: this step
 * carries over the rest a consumer relies on (`engines`, `keywords`, `publishConfig.access`), states
 * `"./internal/*": null` explicitly, and rewrites `workspace:` ranges to the sibling's real version.
 *
 * It also removes what must not ship: the type-check build (`tsc -b tsconfig.json`) writes its
 * declarations to `build/dts/src` and `build/dts/test`, next to the declarations the build writes to
 * `build/dts`, and an incremental build leaves the output of a deleted module behind.
 *
 * Finally it verifies the result, so a broken package fails the build instead of a user's install:
 * every public module (a PascalCase file in `src/`) has an `exports` entry whose three files exist.
 */
import * as fs from "node:fs"
import * as path from "node:path"

interface Manifest {
  readonly name: string
  readonly version: string
  readonly engines?: Record<string, string>
  readonly keywords?: ReadonlyArray<string>
  readonly publishConfig?: Record<string, unknown>
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly exports?: Record<string, unknown>
}

const pkgDir = process.cwd()
const root = path.resolve(import.meta.dirname, "..")
const readJson = (file: string): Manifest => JSON.parse(fs.readFileSync(file, "utf8")) as Manifest
const source = readJson(path.join(pkgDir, "package.json"))
const distDir = path.join(pkgDir, "dist")
const distManifestFile = path.join(distDir, "package.json")
if (!fs.existsSync(distManifestFile)) {
  throw new Error(`${source.name}: dist/package.json is missing; run build-utils pack-v3 first`)
}
const dist = readJson(distManifestFile)
const problems: Array<string> = []

// Public modules are the PascalCase files of src/ (the same rule `pnpm codegen` uses for the barrel).
const srcDir = path.join(pkgDir, "src")
const publicModules = fs.readdirSync(srcDir)
  .filter((file) => /^[A-Z][A-Za-z0-9]*\.ts$/.test(file))
  .map((file) => file.slice(0, -3))
  .sort()

// --- prune: keep only outputs whose source file exists -------------------------------------------------
const sourceStems = new Set<string>()
const collect = (dir: string, rel: string) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`
    if (entry.isDirectory()) collect(path.join(dir, entry.name), relPath)
    else if (entry.name.endsWith(".ts")) sourceStems.add(relPath.slice(0, -3))
  }
}
collect(srcDir, "")

const outputStem = (relPath: string): string | undefined => {
  const match = /^(.*?)(\.d\.ts\.map|\.d\.ts|\.js\.map|\.js)$/.exec(relPath)
  return match?.[1]
}
const pruned: Array<string> = []
const prune = (dir: string, rel: string) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`
    if (entry.isDirectory()) {
      prune(full, relPath)
      if (fs.readdirSync(full).length === 0) fs.rmdirSync(full)
      continue
    }
    if (entry.name === "package.json") continue
    const stem = outputStem(relPath)
    if (stem === undefined || !sourceStems.has(stem)) {
      fs.rmSync(full)
      pruned.push(path.relative(distDir, full))
    }
  }
}
for (const kind of ["esm", "cjs", "dts"]) {
  const dir = path.join(distDir, "dist", kind)
  if (fs.existsSync(dir)) prune(dir, "")
}

// --- manifest ------------------------------------------------------------------------------------------
const workspaceVersion = (name: string): string => {
  for (const group of ["packages", "apps"]) {
    for (const entry of fs.readdirSync(path.join(root, group))) {
      const file = path.join(root, group, entry, "package.json")
      if (!fs.existsSync(file)) continue
      const manifest = readJson(file)
      if (manifest.name === name) return manifest.version
    }
  }
  throw new Error(`${source.name}: no workspace package named ${name}`)
}
// pnpm's own rule: workspace:* → exact, workspace:^ → ^version, workspace:~ → ~version.
const resolveWorkspace = (deps: Record<string, string> | undefined) => {
  if (deps === undefined) return undefined
  const out: Record<string, string> = {}
  for (const [name, range] of Object.entries(deps)) {
    if (!range.startsWith("workspace:")) {
      out[name] = range
      continue
    }
    const spec = range.slice("workspace:".length)
    const version = workspaceVersion(name)
    out[name] = spec === "*" || spec === "" ? version : spec === "^" || spec === "~" ? `${spec}${version}` : spec
  }
  return out
}

const exportsMap: Record<string, unknown> = { ...dist.exports, "./internal/*": null }
const dependencies = resolveWorkspace(dist.dependencies)
const peerDependencies = resolveWorkspace(dist.peerDependencies)
const finalManifest = {
  ...dist,
  ...(source.engines !== undefined ? { engines: source.engines } : {}),
  ...(source.keywords !== undefined ? { keywords: source.keywords } : {}),
  ...(dependencies !== undefined ? { dependencies } : {}),
  ...(peerDependencies !== undefined ? { peerDependencies } : {}),
  publishConfig: {
    ...(dist.publishConfig ?? {}),
    access: (source.publishConfig?.["access"] as string | undefined) ?? "public"
  },
  exports: exportsMap
}

// --- verify --------------------------------------------------------------------------------------------
const requireFile = (entry: string, file: unknown) => {
  if (typeof file !== "string") {
    problems.push(`exports["${entry}"] lacks a file`)
    return
  }
  if (!fs.existsSync(path.join(distDir, file))) problems.push(`exports["${entry}"] points at missing ${file}`)
}
for (const entry of [".", ...publicModules.map((name) => `./${name}`)]) {
  const conditions = exportsMap[entry] as Record<string, unknown> | undefined
  if (conditions === undefined || conditions === null) {
    problems.push(`public module ${entry} is missing from exports`)
    continue
  }
  for (const condition of ["types", "import", "default"]) requireFile(entry, conditions[condition])
}
for (const entry of Object.keys(exportsMap)) {
  if (entry.includes("internal") && exportsMap[entry] !== null) problems.push(`exports["${entry}"] leaks internals`)
}
for (const field of ["license", "repository", "engines", "keywords", "sideEffects", "peerDependencies"] as const) {
  if ((finalManifest as Record<string, unknown>)[field] === undefined) problems.push(`package.json lacks ${field}`)
}
for (const [name, range] of Object.entries({ ...dependencies, ...peerDependencies })) {
  if (range.startsWith("workspace:")) problems.push(`${name} still has the range ${range}`)
}
for (const file of ["README.md", "LICENSE"]) {
  if (!fs.existsSync(path.join(distDir, file))) problems.push(`${file} is missing`)
}

if (problems.length > 0) {
  console.error(`${source.name}: the packed package is broken:\n  - ${problems.join("\n  - ")}`)
  process.exit(1)
}
fs.writeFileSync(distManifestFile, JSON.stringify(finalManifest, null, 2) + "\n")
console.log(
  `${source.name}@${source.version}: dist/ ready with ${publicModules.length} public modules` +
    (pruned.length > 0 ? ` (pruned ${pruned.length} files that are not part of the package)` : "")
)
