/** What the parent of a multi-process Redis workload tells each child, and what the child answers. */
export type JobKind = "bucket-throughput" | "bucket-accuracy" | "limiter-throughput" | "limiter-accuracy"

export interface Job {
  readonly kind: JobKind
  readonly redisUrl: string
  /** The shared primitive's name: every child of one run uses the same one. */
  readonly name: string
  /** Operations this child performs. */
  readonly ops: number
  /** Fibers in this child calling the primitive at once. */
  readonly concurrency: number
  readonly rate?: number | undefined
  readonly burst?: number | undefined
  readonly permits?: number | undefined
}

export interface ChildResult {
  readonly ops: number
  readonly elapsedMs: number
  /** bucket-accuracy: the Redis time (ms) of each admission, as the bucket's script reported it. */
  readonly admittedAt?: ReadonlyArray<number> | undefined
  /** bucket-accuracy: when each take returned to its caller, on the host clock (Date.now(), like Redis TIME). */
  readonly returnedAt?: ReadonlyArray<number> | undefined
  /** limiter-accuracy: the most holders this child saw in the shared counter, itself included. */
  readonly peakHolders?: number | undefined
}

export const resultPrefix = "@@redis-child "
export const readyLine = "@@redis-child-ready"
