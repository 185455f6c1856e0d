/**
 * The HTML timeline in a real browser: Debian's chromium driven by playwright-core
 * (which never downloads a browser of its own). The page is opened from disk, the
 * DOM is checked for the lanes, the drawn states, the hover details and the time
 * axis, and a screenshot is saved to test-results/demo-timeline/ (ignored by git).
 *
 * chromium missing is a failure, not a skip: `pnpm system-deps` (which .ci/run
 * calls) installs it. CHROMIUM_PATH points the test at another binary.
 */
import { assert, describe, it } from "@effect/vitest"
import { Limiter, TaskGroup, Timeline } from "@fiberkit/core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { type BrowserContext, chromium } from "playwright-core"

class PaymentDeclined extends Data.TaggedError("PaymentDeclined")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
const artifacts = path.resolve(import.meta.dirname, "../../../test-results/demo-timeline")

// A checkout: the payment fails at 20 ms, so its group interrupts the shipping quote; the two stock
// checks share a Limiter of one permit, so the second waits 10 ms for it.
const checkout = Effect.gen(function*() {
  const stock = yield* Limiter.make({ permits: 1 })
  yield* TaskGroup.run((group) =>
    Effect.gen(function*() {
      yield* TaskGroup.spawn(group, Effect.sleep("40 millis").pipe(Effect.withSpan("shipping quote")))
      yield* TaskGroup.spawn(
        group,
        Effect.sleep("20 millis").pipe(
          Effect.zipRight(Effect.fail(new PaymentDeclined({ reason: "card declined" }))),
          Effect.withSpan("payment")
        )
      )
      yield* TaskGroup.spawn(
        group,
        Effect.sleep("10 millis").pipe(Limiter.withPermit(stock), Effect.withSpan("stock A"))
      )
      yield* TaskGroup.spawn(
        group,
        Effect.sleep("10 millis").pipe(Limiter.withPermit(stock), Effect.withSpan("stock B"))
      )
    }).pipe(Timeline.named("checkout")), { label: "checkout" })
})

const recordCheckout = Effect.gen(function*() {
  const fiber = yield* Effect.fork(Timeline.recordExit(checkout, { label: "checkout" }))
  yield* TestClock.adjust("1 second")
  const [, recording] = yield* Fiber.join(fiber)
  return recording
}).pipe(Effect.provide(TestContext.TestContext))

// A missing browser is a defect with a message that says how to get one, never a skipped test.
const launch = Effect.acquireRelease(
  Effect.promise(() => {
    if (!fs.existsSync(executablePath)) {
      return Promise.reject(
        new Error(
          `chromium not found at ${executablePath}: install it with \`pnpm system-deps\` ` +
            `(apt-get install chromium; .ci/run does this), or set CHROMIUM_PATH`
        )
      )
    }
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "fiberkit-chromium-"))
    // A fresh profile every run (launchPersistentContext is playwright's way to name the --user-data-dir).
    return chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1360, height: 420 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync"
      ]
    }).then((browser) => ({ browser, profile }))
  }),
  ({ browser, profile }: { browser: BrowserContext; profile: string }) =>
    Effect.promise(() => browser.close()).pipe(
      Effect.ensuring(Effect.sync(() => fs.rmSync(profile, { recursive: true, force: true })))
    )
)

describe("the HTML timeline in headless chromium", () => {
  it.scopedLive(
    "draws the lanes, states, hover details and time axis of a real recording",
    () =>
      Effect.gen(function*() {
        const recording = yield* recordCheckout
        fs.mkdirSync(artifacts, { recursive: true })
        const htmlFile = path.join(artifacts, "checkout.html")
        fs.writeFileSync(htmlFile, Timeline.toHtml(recording, { title: "checkout: the payment fails" }))
        fs.writeFileSync(path.join(artifacts, "checkout.txt"), Timeline.toText(recording, { width: 100 }) + "\n")

        const { browser } = yield* launch
        const page = yield* Effect.promise(() => browser.newPage())
        // The page is self-contained: the only request it makes is for itself.
        const requests: Array<string> = []
        page.on("request", (request) => requests.push(request.url()))
        yield* Effect.promise(() => page.goto(pathToFileURL(htmlFile).href))

        // Lanes: one per fiber, in tree order, indented by depth, each ending with its outcome.
        const lanes = yield* Effect.promise(() =>
          page.$$eval("g.lane", (groups) =>
            groups.map((g) => ({
              label: g.querySelector("text.label")?.textContent ?? "",
              depth: g.getAttribute("data-depth"),
              outcome: g.getAttribute("data-outcome"),
              end: g.querySelector("circle.end")?.getAttribute("class"),
              states: Array.from(g.querySelectorAll("rect.seg")).map((r) => r.getAttribute("data-state")),
              phases: Array.from(g.querySelectorAll("rect.phase")).map((r) => r.getAttribute("data-kind")),
              marks: Array.from(g.querySelectorAll("path.mark")).map((m) => m.getAttribute("data-kind")),
              labelX: (g.querySelector("text.label") as SVGGraphicsElement).getBBox().x
            })))
        )
        assert.deepStrictEqual(lanes.map((l) => [l.label, l.depth, l.outcome, l.end]), [
          ["main", "0", "failure", "end failure"],
          // The group's body spawns its four tasks and returns; the group then waits for them.
          ["checkout", "1", "success", "end success"],
          ["shipping quote", "2", "interrupted", "end interrupted"],
          ["payment", "2", "failure", "end failure"],
          ["stock A", "2", "success", "end success"],
          ["stock B", "2", "success", "end success"]
        ])
        // Children are drawn to the right of their parent's label.
        assert.isBelow(lanes[0]!.labelX, lanes[1]!.labelX)
        assert.isBelow(lanes[1]!.labelX, lanes[2]!.labelX)
        // States: every task suspended (sleeping, under the TestClock nothing takes CPU time);
        // stock B's wait for the permit as a region; the group's interrupt as a mark on the shipping quote.
        const byLabel = new Map(lanes.map((l) => [l.label, l]))
        for (const label of ["shipping quote", "payment", "stock A", "stock B"]) {
          assert.include(byLabel.get(label)!.states, "suspended", label)
        }
        assert.deepStrictEqual(byLabel.get("stock B")!.phases, ["waiting"])
        assert.deepStrictEqual(byLabel.get("stock A")!.phases, [])
        assert.deepStrictEqual(byLabel.get("shipping quote")!.marks, ["interrupt"])

        // Colours as the browser paints them, and sizes from the layout: the bars are really drawn.
        const painted = yield* Effect.promise(() =>
          page.$$eval("rect.seg, rect.phase, circle.end", (shapes) =>
            shapes.map((shape) => {
              const box = (shape as SVGGraphicsElement).getBoundingClientRect()
              return {
                kind: shape.getAttribute("data-state") ?? shape.getAttribute("data-kind") ??
                  shape.getAttribute("class"),
                fill: getComputedStyle(shape).fill,
                width: box.width,
                height: box.height
              }
            }))
        )
        const fillOf = (kind: string) => [...new Set(painted.filter((p) => p.kind === kind).map((p) => p.fill))]
        assert.deepStrictEqual(fillOf("suspended"), ["rgb(158, 203, 255)"])
        assert.deepStrictEqual(fillOf("waiting"), ["rgb(240, 173, 78)"])
        assert.deepStrictEqual(fillOf("end failure"), ["rgb(207, 34, 46)"])
        assert.deepStrictEqual(fillOf("end interrupted"), ["rgb(188, 76, 0)"])
        assert.deepStrictEqual(fillOf("end success"), ["rgb(26, 127, 55)"])
        for (const shape of painted) {
          assert.isAbove(shape.width, 0, shape.kind ?? "")
          assert.isAbove(shape.height, 0, shape.kind ?? "")
        }
        // The run ends at 20 ms, when the payment fails: the shipping quote's bar spans the whole chart,
        // stock A's (0-10 ms) half of it.
        const lane = (label: string) => page.locator("g.lane").nth(lanes.findIndex((l) => l.label === label))
        const barWidth = (label: string) =>
          Effect.promise(() => lane(label).locator("rect.seg").first().boundingBox()).pipe(
            Effect.map((box) => box?.width ?? 0)
          )
        const shippingW = yield* barWidth("shipping quote")
        const stockW = yield* barWidth("stock A")
        assert.closeTo(stockW / shippingW, 0.5, 0.02)

        // Hover details: a title per lane (label, fiber, parent, times, outcome) and per bar and mark.
        const titles = yield* Effect.promise(() =>
          page.$$eval("g.lane > title", (ts) => ts.map((t) => t.textContent ?? ""))
        )
        assert.strictEqual(titles.length, 6)
        const shippingTitle = titles.find((t) => t.startsWith("shipping quote"))!
        assert.match(shippingTitle, /^shipping quote \(fiber #\d+, child of checkout\)/)
        assert.include(shippingTitle, "start 0 ms, end 20 ms")
        assert.include(shippingTitle, "interrupted by main")
        assert.include(titles.find((t) => t.startsWith("payment"))!, "failed: PaymentDeclined: card declined")
        const barTitles = yield* Effect.promise(() =>
          page.$$eval("rect.phase > title, path.mark > title", (ts) => ts.map((t) => t.textContent ?? ""))
        )
        assert.includeMembers(barTitles, [
          "waiting for a permit (waiting) 0–10 ms",
          "interrupted by TaskGroup \"checkout\" (interrupt) at 20 ms"
        ])
        // Hovering a lane highlights its row (the page's own :hover style, applied by the browser).
        const rowFill = () => lane("shipping quote").locator("rect.bg").evaluate((r) => getComputedStyle(r).fill)
        const before = yield* Effect.promise(rowFill)
        yield* Effect.promise(() => lane("shipping quote").locator("text.label").hover())
        const during = yield* Effect.promise(rowFill)
        assert.strictEqual(before, "rgb(255, 255, 255)")
        assert.strictEqual(during, "rgb(246, 248, 250)")
        yield* Effect.promise(() => page.mouse.move(0, 0))

        // The time axis: ticks in ms from 0 to the run's end, left to right.
        const ticks = yield* Effect.promise(() =>
          page.$$eval(
            "text.tick",
            (ts) =>
              ts.map((t) => ({ text: t.textContent ?? "", x: (t as SVGGraphicsElement).getBoundingClientRect().x }))
          )
        )
        assert.deepStrictEqual(ticks.map((t) => t.text), [
          "0 ms",
          "2 ms",
          "4 ms",
          "6 ms",
          "8 ms",
          "10 ms",
          "12 ms",
          "14 ms",
          "16 ms",
          "18 ms",
          "20 ms"
        ])
        for (let i = 1; i < ticks.length; i++) assert.isAbove(ticks[i]!.x, ticks[i - 1]!.x)
        assert.strictEqual(yield* Effect.promise(() => page.title()), "checkout: the payment fails")
        // The summary, the legend (a swatch per state, in the colours of the chart) and the nesting connectors.
        const summary = yield* Effect.promise(() => page.locator("body > p").first().textContent())
        assert.strictEqual(summary, "6 fibers over 20 ms: 3 ok, 2 failed, 1 interrupted, 0 still running.")
        const legend = yield* Effect.promise(() =>
          page.$$eval(".legend span", (spans) =>
            spans.map((span) => [
              span.textContent,
              getComputedStyle(span.querySelector("i")!).backgroundColor
            ]))
        )
        assert.includeDeepMembers(legend, [
          ["suspended", "rgb(158, 203, 255)"],
          ["waiting", "rgb(240, 173, 78)"],
          ["failed", "rgb(207, 34, 46)"],
          ["interrupted", "rgb(188, 76, 0)"]
        ])
        // One connector from each parent's row down to each child's, at the child's start.
        assert.strictEqual(yield* Effect.promise(() => page.locator("line.fork").count()), 5)
        assert.deepStrictEqual(requests, [pathToFileURL(htmlFile).href])

        const screenshot = path.join(artifacts, "checkout.png")
        yield* Effect.promise(() => page.screenshot({ path: screenshot, fullPage: true }))
        assert.isAbove(fs.statSync(screenshot).size, 10_000)
      }),
    60_000
  )
})
