import * as fs from "node:fs"
import * as path from "node:path"
import { defineWorkspace } from "vitest/config"

// One vitest project per package and app that has tests; the list follows the folders so a new app needs no edit here.
const roots = ["packages", "apps"].flatMap((group) =>
  fs.readdirSync(path.join(import.meta.dirname, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${group}/${entry.name}`)
    .filter((dir) => fs.existsSync(path.join(import.meta.dirname, dir, "vitest.config.ts")))
)

export default defineWorkspace(roots)
