/**
 * pnpm --filter @fiberkit/workshop pictures          regenerate every lesson's timeline pictures
 * pnpm --filter @fiberkit/workshop pictures 01 19    only those lessons
 *
 * Each lesson's `pictures.ts` says what to record; this writes
 * `lessons/NN-…/pictures/<name>.svg` (embedded by the README) and `<name>.txt`
 * (the same run as the terminal chart). `test/pictures.test.ts` fails when a
 * committed picture no longer matches its code.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { lessonsWithPictures, loadPictures, renderPicture } from "../lessons/_shared/pictures.js"

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith("-"))
const all = lessonsWithPictures()
const lessons = wanted.length === 0
  ? all
  : wanted.map((want) => {
    const lesson = all.find((name) => name.startsWith(`${want.padStart(2, "0")}-`) || name === want)
    if (lesson === undefined) {
      console.error(`no lesson ${want} with a pictures.ts; there are: ${all.join(", ")}`)
      process.exit(2)
    }
    return lesson
  })

for (const lesson of lessons) {
  const { dir, pictures } = await loadPictures(lesson)
  fs.mkdirSync(dir, { recursive: true })
  for (const picture of pictures) {
    const { svg, txt } = await Effect.runPromise(renderPicture(picture))
    fs.writeFileSync(path.join(dir, `${picture.name}.svg`), svg)
    fs.writeFileSync(path.join(dir, `${picture.name}.txt`), txt)
    const clock = picture.clock === "live" ? "live run" : "TestClock"
    console.log(`${lesson}/pictures/${picture.name}.svg and .txt (${clock})`)
  }
}
