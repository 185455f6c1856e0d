import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"

const lessonsDir = path.resolve(import.meta.dirname, "../lessons")
const lessons = fs.readdirSync(lessonsDir).filter((name) => /^\d\d-/.test(name)).sort()

// The workshop's shape is its contract with learners: every lesson has the four files,
// and every README teaches both worlds and the broken/fixed pitfalls.
describe("workshop lessons", () => {
  it("are numbered without gaps", () => {
    expect(lessons.map((name) => Number(name.slice(0, 2)))).toEqual(lessons.map((_, i) => i + 1))
  })
  for (const lesson of lessons) {
    const slug = lesson.slice(3)
    it(`${lesson} has README, exercise, solution and test`, () => {
      for (const file of ["README.md", "exercise.ts", "solution.ts", `${slug}.test.ts`]) {
        expect(fs.existsSync(path.join(lessonsDir, lesson, file)), `${lesson}/${file}`).toBe(true)
      }
      const readme = fs.readFileSync(path.join(lessonsDir, lesson, "README.md"), "utf8")
      for (const heading of ["## The asyncio way", "## The Effect way", "## Pitfalls", "## Exercise"]) {
        expect(readme, `${lesson}/README.md needs "${heading}"`).toContain(heading)
      }
      expect(readme).toContain("Broken")
      expect(readme).toContain("Fixed")
      const exercise = fs.readFileSync(path.join(lessonsDir, lesson, "exercise.ts"), "utf8")
      expect(exercise, "an exercise must start unsolved").toContain("unsolved(")
    })
  }
})
