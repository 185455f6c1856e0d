/**
 * What a benchmark workload is: a size, and several implementations of the
 * same semantics, each of which checks its own result. The runner times an
 * implementation in a fresh process (so peak RSS is its own) and reports a
 * run whose check fails as failed, never as a time.
 */
export interface Check {
  readonly ok: boolean
  /** Shown in the report when not ok, or as a note (e.g. "max window 1009"). */
  readonly detail?: string
  /** Workload-specific figures (p99 overshoot, max window...), reported beside the time. */
  readonly metrics?: Readonly<Record<string, number>>
}

export interface Implementation {
  /** fiberkit | raw-effect | promise | library | asyncio */
  readonly kind: "fiberkit" | "raw-effect" | "promise" | "library"
  readonly run: (size: number) => Promise<Check>
}

export interface Workload {
  /** "W1" … "W6", "L1": also the CLI filter. */
  readonly id: string
  readonly title: string
  readonly size: number
  /** What `size` counts: "tasks", "items", "messages"… */
  readonly unit: string
  /** A fixed size, not divided by 10 in --quick (e.g. time-bound workloads). */
  readonly fixedSize?: boolean
  readonly implementations: Readonly<Record<string, Implementation>>
  /** A file in packages/bench/python, run with `python3 FILE SIZE` and printing a Check as JSON. */
  readonly python?: { readonly name: string; readonly file: string }
  /**
   * Run the implementations under the tsx loader instead of a pre-bundled plain-node script (the
   * default). Only for workloads that load TypeScript at run time (e.g. worker-thread entry files);
   * their peak RSS then includes the loader's ~90 MB.
   */
  readonly needsTsx?: boolean
  /**
   * Why the workload cannot run on this machine (e.g. "redis-server is not on PATH"), or undefined when it
   * can. `pnpm bench` then prints one line with the reason instead of running it.
   */
  readonly unavailable?: () => string | undefined
  /** Metric names (from Check.metrics) to show as columns, e.g. "p99 ms". */
  readonly columns?: ReadonlyArray<string>
}

export const check = (ok: boolean, detail?: string, metrics?: Readonly<Record<string, number>>): Check => ({
  ok,
  ...(detail === undefined ? {} : { detail }),
  ...(metrics === undefined ? {} : { metrics })
})
