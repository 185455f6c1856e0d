import { describe, expect, it } from "@effect/vitest"
import { TaskGroup, Timeline } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  lessonsWithPictures,
  loadPictures,
  type Picture,
  recordPicture,
  render,
  renderPicture,
  renumber
} from "../lessons/_shared/pictures.js"

// The README pictures are generated; this records every deterministic run again (under the TestClock)
// and compares it with the committed files, so a picture cannot drift from the code it claims to show.
const lessons = lessonsWithPictures()
// The SVG draws the title on its own line across the picture (1,280 px wide, 12px monospace, about 7.2px a
// character); a README picture's title should still be short enough to read at a glance.
const maxTitle = 80
const regenerate = "regenerate with `pnpm --filter @fiberkit/workshop pictures`"

describe("lesson pictures", () => {
  it("exist for the lessons that contrast a broken and a fixed run", () => {
    for (const lesson of ["01", "03", "04", "05", "06", "07", "08", "09", "11", "12", "13", "14", "15", "17", "19"]) {
      expect(lessons.some((name) => name.startsWith(`${lesson}-`)), `lesson ${lesson} has a pictures.ts`).toBe(true)
    }
  })

  it.effect("come out the same in any process: fiber ids are renumbered in start order", () =>
    Effect.gen(function*() {
      // Effect's fiber ids come from one process-wide counter, so two runs of the same program differ.
      const program = TaskGroup.runAll([
        Effect.sleep("10 millis"),
        Effect.sleep("20 millis").pipe(Effect.zipRight(Effect.interrupt))
      ]).pipe(Effect.exit)
      const raw = () =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(Timeline.recordExit(program))
          yield* TestClock.adjust("1 second")
          const [, recording] = yield* Fiber.join(fiber)
          return recording
        })
      const first = yield* raw()
      const second = yield* raw()
      expect(first.lanes.map((l) => l.fiber)).not.toEqual(second.lanes.map((l) => l.fiber))
      const a = renumber(first)
      const b = renumber(second)
      expect(a.lanes.map((l) => [l.fiber, l.parent, l.label, l.interruptedBy])).toEqual(
        b.lanes.map((l) => [l.fiber, l.parent, l.label, l.interruptedBy])
      )
      expect(a.lanes.map((l) => l.fiber)).toEqual(a.lanes.map((_, i) => i + 1))
      expect(a.events).toEqual(b.events)
      expect(Timeline.toSvg(a)).toBe(Timeline.toSvg(b))
      expect(Timeline.isRecording(a)).toBe(true)
      // And a whole picture, recorded twice, renders byte for byte the same.
      const picture: Picture = { name: "twice", title: "twice", label: "twice", program }
      const once = render(picture, yield* recordPicture(picture))
      const again = render(picture, yield* recordPicture(picture))
      expect(again).toEqual(once)
    }))

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

      it("titles fit on the SVG's top line", () => {
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
