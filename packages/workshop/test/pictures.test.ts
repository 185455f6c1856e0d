import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { lessonsWithPictures, loadPictures, renderPicture } from "../lessons/_shared/pictures.js"

// The README pictures are generated; this records every deterministic run again (under the TestClock)
// and compares it with the committed files, so a picture cannot drift from the code it claims to show.
const lessons = lessonsWithPictures()
// The SVG draws the title at x=8 and the summary at x=300, in 12px monospace (about 7.2px a character).
const maxTitle = 40
const regenerate = "regenerate with `pnpm --filter @fiberkit/workshop pictures`"

describe("lesson pictures", () => {
  it("exist for the lessons that contrast a broken and a fixed run", () => {
    for (const lesson of ["01", "03", "04", "05", "06", "07", "08", "09", "12", "13", "14", "15", "17", "19"]) {
      expect(lessons.some((name) => name.startsWith(`${lesson}-`)), `lesson ${lesson} has a pictures.ts`).toBe(true)
    }
  })

  for (const lesson of lessons) {
    describe(lesson, async () => {
      const { dir, pictures } = await loadPictures(lesson)
      const readme = fs.readFileSync(path.join(dir, "..", "README.md"), "utf8")

      it("the README embeds every picture, and every committed picture is one of them", () => {
        for (const picture of pictures) {
          expect(readme, `${lesson}/README.md embeds pictures/${picture.name}.svg`).toContain(
            `pictures/${picture.name}.svg`
          )
        }
        const names = new Set(pictures.map((picture) => picture.name))
        const stray = fs.readdirSync(dir).filter((file) => !names.has(file.replace(/\.(svg|txt)$/, "")))
        expect(stray, `files in ${lesson}/pictures/ that pictures.ts no longer draws`).toEqual([])
      })

      it("titles fit in the SVG's top line, before the run's summary", () => {
        for (const picture of pictures) {
          expect(picture.title.length, `${picture.name}: "${picture.title}"`).toBeLessThanOrEqual(maxTitle)
        }
      })

      for (const picture of pictures) {
        if (picture.clock === "live") {
          it(`${picture.name} (live run) is committed`, () => {
            for (const ext of ["svg", "txt"]) {
              expect(fs.existsSync(path.join(dir, `${picture.name}.${ext}`)), `${picture.name}.${ext}; ${regenerate}`)
                .toBe(true)
            }
          })
          continue
        }
        it.effect(`${picture.name} is up to date`, () =>
          Effect.gen(function*() {
            const { svg, txt } = yield* renderPicture(picture)
            const read = (ext: string) => {
              const file = path.join(dir, `${picture.name}.${ext}`)
              return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `(missing ${file})`
            }
            expect(read("txt"), `${lesson}/pictures/${picture.name}.txt is stale; ${regenerate}`).toBe(txt)
            expect(read("svg"), `${lesson}/pictures/${picture.name}.svg is stale; ${regenerate}`).toBe(svg)
          }))
      }
    })
  }
})
