import type * as Timeline from "../Timeline.js"

// ---------------------------------------------------------------------------
// Shared: phases (begin/end mark pairs) as regions, time steps for axes
// ---------------------------------------------------------------------------

interface Region {
  readonly label: string
  readonly kind: Timeline.MarkKind
  readonly fromMs: number
  readonly toMs: number
}

/** Pairs each `begin` mark with the next `end` of the same label and kind; an open one lasts to the lane's end. */
const regionsOf = (lane: Timeline.Lane, durationMs: number): Array<Region> => {
  const open: Array<Timeline.Mark> = []
  const regions: Array<Region> = []
  for (const mark of lane.marks) {
    if (mark.phase === "begin") open.push(mark)
    else if (mark.phase === "end") {
      const at = findLastIndex(open, (m) => m.label === mark.label && m.kind === mark.kind)
      if (at >= 0) {
        const begin = open.splice(at, 1)[0]!
        regions.push({ label: begin.label, kind: begin.kind, fromMs: begin.atMs, toMs: mark.atMs })
      }
    }
  }
  for (const begin of open) {
    regions.push({ label: begin.label, kind: begin.kind, fromMs: begin.atMs, toMs: lane.endMs ?? durationMs })
  }
  return regions.sort((a, b) => a.fromMs - b.fromMs)
}

const findLastIndex = <A>(as: ReadonlyArray<A>, f: (a: A) => boolean): number => {
  for (let i = as.length - 1; i >= 0; i--) if (f(as[i]!)) return i
  return -1
}

/** A 1-2-5 step giving about `target` ticks over `span`. */
const niceStep = (span: number, target: number): number => {
  if (span <= 0) return 1
  const raw = span / target
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)))
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return m * magnitude
  return 10 * magnitude
}

const formatMs = (ms: number): string => {
  if (ms === 0) return "0"
  if (ms >= 100) return String(Math.round(ms))
  if (ms >= 10) return ms.toFixed(1).replace(/\.0$/, "")
  return ms.toFixed(2).replace(/0+$/, "").replace(/\.$/, "")
}

const outcomeText = (lane: Timeline.Lane, labels: ReadonlyMap<number, string>): string => {
  switch (lane.outcome) {
    case "success":
      return "ok"
    case "failure":
      return `failed${lane.error === undefined ? "" : `: ${lane.error}`}`
    case "running":
      return "still running"
    case "interrupted": {
      if (lane.interruptedBy.length === 0) return "interrupted"
      const by = lane.interruptedBy.map((id) => {
        const label = labels.get(id)
        return label === undefined || label === `fiber #${id}` ? `fiber #${id}` : `${label} (#${id})`
      })
      return `interrupted by ${by.join(", ")}`
    }
  }
}

const labelsOf = (recording: Timeline.Recording): Map<number, string> =>
  new Map(recording.lanes.map((lane) => [lane.fiber, lane.label]))

interface Tally {
  lanes: number
  success: number
  failure: number
  interrupted: number
  running: number
}

const tally = (lanes: ReadonlyArray<Timeline.Lane>): Tally => {
  const t: Tally = { lanes: lanes.length, success: 0, failure: 0, interrupted: 0, running: 0 }
  for (const lane of lanes) t[lane.outcome]++
  return t
}

const tallyText = (t: Tally) =>
  `${t.success} ok, ${t.failure} failed, ${t.interrupted} interrupted, ${t.running} still running`

const overflowText = (o: Timeline.Overflow) =>
  `${o.fibers} more fibers beyond the lane limit were counted, not drawn: ` +
  `${o.succeeded} ok, ${o.failed} failed, ${o.interrupted} interrupted`

// ---------------------------------------------------------------------------
// Terminal Gantt chart
// ---------------------------------------------------------------------------

/** @internal */
export const glyphs = {
  pending: "·",
  running: "█",
  suspended: "─",
  waiting: "▒",
  queued: "░",
  backoff: "≈",
  otherPhase: "▓",
  deadline: "!",
  interrupt: "↯",
  point: "◆",
  success: "✓",
  failure: "✗",
  interrupted: "⊘",
  stillRunning: "▶"
} as const

const sparks = " ▁▂▃▄▅▆▇█"

const phaseGlyph = (kind: Timeline.MarkKind): string =>
  kind === "waiting" ? glyphs.waiting : kind === "queued" ? glyphs.queued : kind === "backoff" ?
    glyphs.backoff :
    glyphs.otherPhase

const pointGlyph = (kind: Timeline.MarkKind): string =>
  kind === "deadline" ? glyphs.deadline : kind === "interrupt" ? glyphs.interrupt : glyphs.point

const endGlyph = (outcome: Timeline.Outcome): string =>
  outcome === "success" ?
    glyphs.success :
    outcome === "failure" ?
    glyphs.failure :
    outcome === "interrupted" ?
    glyphs.interrupted :
    glyphs.stillRunning

// Greedy wrap at `separator` (the legend wraps between items, prose between words).
const wrap = (text: string, width: number, separator = " "): Array<string> => {
  const out: Array<string> = []
  let line = ""
  for (const word of text.split(separator)) {
    if (line.length > 0 && line.length + separator.length + word.length > width) {
      out.push(line)
      line = word
    } else {
      line = line.length === 0 ? word : line + separator + word
    }
  }
  if (line.length > 0) out.push(line)
  return out
}

const statePriority: Record<Timeline.State, number> = { pending: 1, suspended: 2, running: 3 }

/** @internal */
export const toText = (recording: Timeline.Recording, options?: Timeline.TextOptions): string => {
  const width = Math.max(40, Math.floor(options?.width ?? 100))
  const maxRows = options?.maxLanes ?? 40
  const duration = recording.durationMs
  const labels = labelsOf(recording)
  const shown = recording.lanes.slice(0, maxRows)
  const labelWidth = Math.min(
    28,
    Math.max(12, ...shown.map((lane) => lane.depth * 2 + lane.label.length + 1))
  )
  // The outcome column is a fixed share of the line (not sized by its text, which holds fiber ids),
  // so the same run draws the same bars.
  const outcomes = shown.map((lane) => outcomeText(lane, labels))
  const outcomeWidth = Math.min(40, Math.floor(width / 3))
  const cols = Math.max(10, width - labelWidth - 4 - outcomeWidth)
  const fit = (text: string) => text.length > outcomeWidth ? text.slice(0, outcomeWidth - 1) + "…" : text
  // A run that took no time on the clock (TestClock) still gets one column per lane event.
  const span = duration > 0 ? duration : 1
  const cellOf = (ms: number) => Math.min(cols - 1, Math.max(0, Math.floor((ms / span) * cols)))
  const lastCellOf = (ms: number) => Math.min(cols - 1, Math.max(0, Math.ceil((ms / span) * cols) - 1))

  const lines: Array<string> = []
  const all = tally(recording.lanes)
  lines.push(
    ...wrap(
      `${recording.label}: ${recording.lanes.length} fibers over ${formatMs(duration)} ms (${tallyText(all)})`,
      width
    )
  )

  // Live fibers per column: what a 100k-fiber run looks like when its lanes cannot all be drawn.
  const alive = new Array<number>(cols + 1).fill(0)
  for (const lane of recording.lanes) {
    alive[cellOf(lane.startMs)]! += 1
    if (lane.endMs !== undefined) alive[lastCellOf(lane.endMs) + 1]! -= 1
  }
  for (const at of recording.overflow.startsMs) alive[cellOf(at)]! += 1
  for (const at of recording.overflow.endsMs) alive[lastCellOf(at) + 1]! -= 1
  let live = 0
  const liveCounts = alive.slice(0, cols).map((delta) => (live += delta))
  const peak = Math.max(1, ...liveCounts)
  const sparkRow = liveCounts.map((c) => c === 0 ? " " : sparks[Math.max(1, Math.round((c / peak) * 8))]!).join("")
  lines.push(`${"live fibers".padEnd(labelWidth)} │${sparkRow}│ ${fit(`peak ${Math.max(0, ...liveCounts)}`)}`)

  shown.forEach((lane, row) => {
    const cells = new Array<string>(cols).fill(" ")
    const rank = new Array<number>(cols).fill(0)
    for (const seg of lane.segments) {
      const first = cellOf(seg.fromMs)
      const last = Math.max(first, lastCellOf(seg.toMs))
      for (let c = first; c <= last; c++) {
        if (statePriority[seg.state] > rank[c]!) {
          rank[c] = statePriority[seg.state]
          cells[c] = glyphs[seg.state]
        }
      }
    }
    // Phases show what a suspended fiber was waiting for; they do not hide its running cells.
    for (const region of regionsOf(lane, duration)) {
      const first = cellOf(region.fromMs)
      const last = Math.max(first, lastCellOf(region.toMs))
      for (let c = first; c <= last; c++) if (rank[c]! < statePriority.running) cells[c] = phaseGlyph(region.kind)
    }
    const endCell = lane.endMs === undefined ? cols - 1 : cellOf(lane.endMs)
    for (const mark of lane.marks) {
      if (mark.phase !== "point") continue
      // A mark in the end's cell ("interrupted by ...") moves one cell left so both stay visible.
      const cell = cellOf(mark.atMs)
      cells[cell === endCell && cell > cellOf(lane.startMs) ? cell - 1 : cell] = pointGlyph(mark.kind)
    }
    cells[endCell] = endGlyph(lane.outcome)
    const name = " ".repeat(lane.depth * 2) + lane.label
    const shownName = name.length > labelWidth ? name.slice(0, labelWidth - 1) + "…" : name.padEnd(labelWidth)
    lines.push(`${shownName} │${cells.join("")}│ ${fit(outcomes[row]!)}`)
  })
  if (recording.lanes.length > shown.length) {
    const rest = tally(recording.lanes.slice(shown.length))
    lines.push(...wrap(`… ${rest.lanes} more lanes not drawn (${tallyText(rest)})`, width))
  }
  if (recording.overflow.fibers > 0) lines.push(...wrap(`… ${overflowText(recording.overflow)}`, width))

  // Axis: 0 at the left, the duration at the right, and the middle.
  const axis = new Array<string>(cols).fill("─")
  const place = (at: number, text: string) => {
    const start = Math.max(0, Math.min(cols - text.length, at))
    for (let i = 0; i < text.length; i++) axis[start + i] = text[i]!
  }
  place(0, "0")
  place(Math.floor(cols / 2) - 2, `${formatMs(duration / 2)}`)
  place(cols - `${formatMs(duration)} ms`.length, `${formatMs(duration)} ms`)
  lines.push(`${"".padEnd(labelWidth)} └${axis.join("")}┘`)
  lines.push(...wrap(
    `legend: ${glyphs.running} running  ${glyphs.suspended} suspended  ${glyphs.pending} not yet run  ` +
      `${glyphs.waiting} waiting  ${glyphs.queued} queued  ${glyphs.backoff} backoff  ${glyphs.deadline} deadline  ` +
      `${glyphs.interrupt} interrupt  ${glyphs.point} mark  ${glyphs.success} ok  ${glyphs.failure} failed  ` +
      `${glyphs.interrupted} interrupted  ${glyphs.otherPhase} other phase`,
    width,
    "  "
  ))
  return lines.join("\n")
}

// ---------------------------------------------------------------------------
// Self-contained HTML/SVG
// ---------------------------------------------------------------------------

/** @internal */
export const colours = {
  pending: "#d0d7de",
  running: "#2da44e",
  suspended: "#9ecbff",
  waiting: "#f0ad4e",
  queued: "#b392f0",
  backoff: "#ff8c69",
  deadline: "#d73a49",
  interrupt: "#e36209",
  note: "#6a737d",
  success: "#1a7f37",
  failure: "#cf222e",
  interrupted: "#bc4c00",
  stillRunning: "#0969da"
} as const

const escapeXml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "\"" ? "&quot;" : "&#39;"
  )

const outcomeColour = (outcome: Timeline.Outcome) => outcome === "running" ? colours.stillRunning : colours[outcome]

/** @internal */
const svgStyle = "svg{font:12px ui-monospace,monospace}.bg{fill:#fff}.lane:hover .bg{fill:#f6f8fa}" +
  ".grid{stroke:#eaeef2}.tick{fill:#57606a;text-anchor:middle;font-size:10px}.fork{stroke:#8c959f;stroke-dasharray:2 2}" +
  ".label{fill:#1f2328}.note{fill:#57606a;font-size:11px}"

const chartOf = (recording: Timeline.Recording, maxRows: number, top = 40) => {
  const lanes = recording.lanes.slice(0, maxRows)
  const labels = labelsOf(recording)
  const duration = recording.durationMs
  const span = duration > 0 ? duration : 1
  const rowH = 20
  const labelW = 280
  const chartW = 960
  const height = top + lanes.length * rowH + 30
  const x = (ms: number) => (labelW + (ms / span) * chartW).toFixed(2)
  const w = (from: number, to: number) => Math.max(1, ((to - from) / span) * chartW).toFixed(2)
  const rowOf = new Map(lanes.map((lane, i) => [lane.fiber, i]))
  const parts: Array<string> = []

  // Time axis in ms, with grid lines.
  const step = niceStep(duration, 10)
  for (let t = 0; t <= duration + 1e-9; t += step) {
    parts.push(
      `<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="${top - 6}" y2="${height - 30}"/>` +
        `<text class="tick" x="${x(t)}" y="${top - 10}">${formatMs(t)} ms</text>`
    )
  }

  lanes.forEach((lane, i) => {
    const y = top + i * rowH
    const end = lane.endMs ?? duration
    const details = [
      `${lane.label} (fiber #${lane.fiber}${
        lane.parent === undefined ? "" : `, child of ${labels.get(lane.parent) ?? "#" + lane.parent}`
      })`,
      `start ${formatMs(lane.startMs)} ms, end ${lane.endMs === undefined ? "-" : formatMs(lane.endMs) + " ms"}`,
      `lifetime ${formatMs(end - lane.startMs)} ms, running ${
        formatMs(lane.segments.filter((s) => s.state === "running").reduce((a, s) => a + s.toMs - s.fromMs, 0))
      } ms`,
      outcomeText(lane, labels)
    ].join("\n")
    const lanePart: Array<string> = [
      `<g class="lane" data-fiber="${lane.fiber}" data-outcome="${lane.outcome}" data-depth="${lane.depth}">`,
      `<title>${escapeXml(details)}</title>`,
      `<rect class="bg" x="0" y="${y}" width="${labelW + chartW + 20}" height="${rowH}"/>`,
      `<text class="label" x="${8 + lane.depth * 14}" y="${y + 14}">${escapeXml(lane.label)}</text>`
    ]
    for (const seg of lane.segments) {
      lanePart.push(
        `<rect class="seg ${seg.state}" data-state="${seg.state}" x="${x(seg.fromMs)}" y="${y + 4}" width="${
          w(seg.fromMs, seg.toMs)
        }" height="${rowH - 8}" fill="${colours[seg.state]}"><title>${seg.state} ${formatMs(seg.fromMs)}–${
          formatMs(seg.toMs)
        } ms</title></rect>`
      )
    }
    for (const region of regionsOf(lane, duration)) {
      lanePart.push(
        `<rect class="phase ${region.kind}" data-kind="${region.kind}" x="${x(region.fromMs)}" y="${y + 7}" width="${
          w(region.fromMs, region.toMs)
        }" height="${rowH - 14}" fill="${colours[region.kind]}"><title>${escapeXml(region.label)} (${region.kind}) ${
          formatMs(region.fromMs)
        }–${formatMs(region.toMs)} ms</title></rect>`
      )
    }
    for (const mark of lane.marks) {
      if (mark.phase !== "point") continue
      const cx = Number(x(mark.atMs))
      lanePart.push(
        `<path class="mark ${mark.kind}" data-kind="${mark.kind}" d="M${cx} ${y + 2} l5 8 l-5 8 l-5 -8 z" fill="${
          colours[mark.kind]
        }"><title>${escapeXml(mark.label)} (${mark.kind}) at ${formatMs(mark.atMs)} ms</title></path>`
      )
    }
    lanePart.push(
      `<circle class="end ${lane.outcome}" cx="${x(end)}" cy="${y + rowH / 2}" r="4" fill="${
        outcomeColour(lane.outcome)
      }"><title>${escapeXml(outcomeText(lane, labels))}</title></circle>`
    )
    lanePart.push("</g>")
    parts.push(lanePart.join(""))
    // Nesting: a connector from the parent's lane down to where the child started.
    const parentRow = lane.parent === undefined ? undefined : rowOf.get(lane.parent)
    if (parentRow !== undefined) {
      parts.push(
        `<line class="fork" x1="${x(lane.startMs)}" x2="${x(lane.startMs)}" y1="${
          top + parentRow * rowH + rowH / 2
        }" y2="${y + rowH / 2}"/>`
      )
    }
  })

  const all = tally(recording.lanes)
  const notes: Array<string> = [
    `${recording.lanes.length} fibers over ${formatMs(duration)} ms: ${tallyText(all)}.`
  ]
  if (recording.lanes.length > lanes.length) {
    notes.push(
      `${recording.lanes.length - lanes.length} more lanes not drawn (${
        tallyText(tally(recording.lanes.slice(lanes.length)))
      }).`
    )
  }
  if (recording.overflow.fibers > 0) notes.push(overflowText(recording.overflow) + ".")
  const legend = (
    [
      ["running", colours.running],
      ["suspended", colours.suspended],
      ["not yet run", colours.pending],
      ["waiting", colours.waiting],
      ["queued", colours.queued],
      ["backoff", colours.backoff],
      ["deadline", colours.deadline],
      ["interrupt", colours.interrupt],
      ["ok", colours.success],
      ["failed", colours.failure],
      ["interrupted", colours.interrupted]
    ] as const
  ).map(([name, colour]) => `<span><i style="background:${colour}"></i>${name}</span>`).join("")

  const svg = (extra: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 40}" height="${height}" viewBox="0 0 ${
      labelW + chartW + 40
    } ${height}" data-duration-ms="${duration}">\n<style>${svgStyle}</style>\n${extra}${parts.join("\n")}\n</svg>`
  return { svg, notes, legend }
}

/** @internal */
export const toHtml = (recording: Timeline.Recording, options?: Timeline.HtmlOptions): string => {
  const title = options?.title ?? recording.label
  const { legend, notes, svg } = chartOf(recording, options?.maxLanes ?? 2_000)
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>`,
    "<style>",
    "body{font:13px system-ui,sans-serif;margin:16px;color:#1f2328}",
    "h1{font-size:16px;margin:0 0 4px}p{margin:2px 0}",
    ".legend span{margin-right:12px;white-space:nowrap}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}",
    "</style></head><body>",
    `<h1>${escapeXml(title)}</h1>`,
    ...notes.map((note) => `<p>${escapeXml(note)}</p>`),
    `<p class="legend">${legend}</p>`,
    `<p>Hover a lane or a bar for its details.</p>`,
    svg(""),
    "</body></html>",
    ""
  ].join("\n")
}

/** @internal */
export const toSvg = (recording: Timeline.Recording, options?: Timeline.HtmlOptions): string => {
  const title = options?.title ?? recording.label
  // A standalone picture (for a README): the title and, on a line of its own so a long title cannot run into
  // it, the summary go in a taller top margin.
  const { notes, svg } = chartOf(recording, options?.maxLanes ?? 2_000, 56)
  return svg(
    `<rect width="100%" height="100%" fill="#fff"/><text class="label" x="8" y="14">${escapeXml(title)}</text>` +
      `<text class="note" x="8" y="30">${escapeXml(notes.join(" "))}</text>\n`
  ) + "\n"
}

// ---------------------------------------------------------------------------
// Chrome trace-event JSON (Perfetto, chrome://tracing)
// ---------------------------------------------------------------------------

/** @internal */
export const toChromeTrace = (recording: Timeline.Recording): string => {
  const us = (ms: number) => Math.round(ms * 1000)
  const labels = labelsOf(recording)
  const events: Array<Record<string, unknown>> = [
    { name: "process_name", ph: "M", pid: 1, tid: 0, args: { name: recording.label } }
  ]
  recording.lanes.forEach((lane, i) => {
    const tid = lane.fiber
    events.push(
      { name: "thread_name", ph: "M", pid: 1, tid, args: { name: `${"  ".repeat(lane.depth)}${lane.label} #${tid}` } },
      { name: "thread_sort_index", ph: "M", pid: 1, tid, args: { sort_index: i } }
    )
    if (lane.parent !== undefined) {
      events.push(
        { name: "fork", cat: "fork", ph: "s", id: tid, pid: 1, tid: lane.parent, ts: us(lane.startMs) },
        { name: "fork", cat: "fork", ph: "f", bp: "e", id: tid, pid: 1, tid, ts: us(lane.startMs) }
      )
    }
    for (const seg of lane.segments) {
      events.push({
        name: seg.state,
        cat: "fiber",
        ph: "X",
        pid: 1,
        tid,
        ts: us(seg.fromMs),
        dur: Math.max(0, us(seg.toMs) - us(seg.fromMs))
      })
    }
    for (const region of regionsOf(lane, recording.durationMs)) {
      events.push({
        name: region.label,
        cat: region.kind,
        ph: "X",
        pid: 1,
        tid,
        ts: us(region.fromMs),
        dur: Math.max(0, us(region.toMs) - us(region.fromMs))
      })
    }
    for (const mark of lane.marks) {
      if (mark.phase === "point") {
        events.push({ name: mark.label, cat: mark.kind, ph: "i", s: "t", pid: 1, tid, ts: us(mark.atMs) })
      }
    }
    if (lane.endMs !== undefined) {
      events.push({
        name: lane.outcome,
        cat: "end",
        ph: "i",
        s: "t",
        pid: 1,
        tid,
        ts: us(lane.endMs),
        args: { outcome: outcomeText(lane, labels) }
      })
    }
  })
  // A "live fibers" counter track over every fiber, lanes and overflow alike, sampled at most 1000 times.
  const changes: Array<[number, number]> = []
  for (const lane of recording.lanes) {
    changes.push([lane.startMs, 1])
    if (lane.endMs !== undefined) changes.push([lane.endMs, -1])
  }
  for (const at of recording.overflow.startsMs) changes.push([at, 1])
  for (const at of recording.overflow.endsMs) changes.push([at, -1])
  changes.sort((a, b) => a[0] - b[0] || b[1] - a[1])
  const every = Math.max(1, Math.ceil(changes.length / 1000))
  let live = 0
  changes.forEach(([at, delta], i) => {
    live += delta
    if (i % every === 0 || i === changes.length - 1) {
      events.push({ name: "live fibers", ph: "C", pid: 1, tid: 0, ts: us(at), args: { fibers: live } })
    }
  })
  return JSON.stringify({
    traceEvents: events,
    displayTimeUnit: "ms",
    otherData: {
      label: recording.label,
      lanes: recording.lanes.length,
      overflow: {
        fibers: recording.overflow.fibers,
        succeeded: recording.overflow.succeeded,
        failed: recording.overflow.failed,
        interrupted: recording.overflow.interrupted
      }
    }
  })
}
