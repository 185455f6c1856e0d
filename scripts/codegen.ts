/**
 * `pnpm codegen`: keeps the generated files honest, as Effect's own codegen does.
 *   - packages/{core,node,redis}/src/index.ts re-export every public (PascalCase) module as a namespace;
 *   - tsconfig.json references every package and app, so `pnpm check` covers a new app without an edit.
 * `pnpm codegen --check` fails when a generated file is out of date (CI runs it through lint).
 */
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const checkOnly = process.argv.includes("--check")
const stale: Array<string> = []

const write = (file: string, content: string) => {
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined
  if (current === content) return
  if (checkOnly) stale.push(path.relative(root, file))
  else fs.writeFileSync(file, content)
}

for (const pkg of ["core", "node", "redis"]) {
  const src = path.join(root, "packages", pkg, "src")
  if (!fs.existsSync(src)) continue
  const modules = fs.readdirSync(src)
    .filter((file) => /^[A-Z][A-Za-z0-9]*\.ts$/.test(file))
    .map((file) => file.slice(0, -3))
    .sort()
  const body = modules.map((name) => `/**\n * @since 0.1.0\n */\nexport * as ${name} from "./${name}.js"\n`).join("\n")
  write(path.join(src, "index.ts"), body)
}

const projects = ["packages", "apps"].flatMap((group) =>
  fs.readdirSync(path.join(root, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(root, group, entry.name, "tsconfig.json")))
    .map((entry) => `${group}/${entry.name}`)
    .sort()
)
const tsconfig = {
  files: [],
  references: [...projects, "scripts"].map((p) => ({ path: p }))
}
write(path.join(root, "tsconfig.json"), JSON.stringify(tsconfig, null, 2) + "\n")

if (stale.length > 0) {
  console.error(`generated files are out of date (run pnpm codegen): ${stale.join(", ")}`)
  process.exit(1)
}
