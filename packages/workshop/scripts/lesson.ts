/**
 * pnpm --filter @fiberkit/workshop lesson 01            run lesson 01's test against your exercise.ts
 * pnpm --filter @fiberkit/workshop lesson 01 --solution run it against the reference solution
 * pnpm --filter @fiberkit/workshop lesson               list the lessons
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const workshop = path.resolve(import.meta.dirname, "..")
const lessonsDir = path.join(workshop, "lessons")
const lessons = fs.readdirSync(lessonsDir).filter((name) => /^\d\d-/.test(name)).sort()

const [wanted] = process.argv.slice(2).filter((arg) => !arg.startsWith("-"))
const target = process.argv.includes("--solution") ? "solution" : "exercise"

if (wanted === undefined) {
  console.log("lessons:")
  for (const lesson of lessons) console.log(`  ${lesson}`)
  console.log("\nrun one with: pnpm --filter @fiberkit/workshop lesson 01")
  process.exit(0)
}

const lesson = lessons.find((name) => name.startsWith(`${wanted.padStart(2, "0")}-`) || name === wanted)
if (lesson === undefined) {
  console.error(`no lesson ${wanted}; there are: ${lessons.join(", ")}`)
  process.exit(2)
}

const dir = path.join(lessonsDir, lesson)
console.log(`lesson ${lesson}: read ${path.relative(process.cwd(), path.join(dir, "README.md"))}`)
console.log(`testing your ${target}.ts (edit ${path.relative(process.cwd(), path.join(dir, `${target}.ts`))})\n`)

const run = spawnSync("pnpm", ["exec", "vitest", "run", "--root", workshop, path.join("lessons", lesson)], {
  cwd: workshop,
  stdio: "inherit",
  env: { ...process.env, FIBERKIT_LESSON_TARGET: target }
})
if (run.status === 0) {
  console.log(target === "exercise" ? `\nlesson ${lesson} solved. Next: the following lesson.` : "")
} else if (target === "exercise") {
  console.log(`\nnot yet: the failures above say what is missing. Stuck? Compare with solution.ts.`)
}
process.exit(run.status ?? 1)
