import type * as Upstream from "../Upstream.js"

/** A small seeded generator (mulberry32), so a fault profile replays the same way for the same seed. */
export const seededRandom = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const emptyRoute = (): MutableRouteStats => ({
  started: 0,
  finished: 0,
  aborted: 0,
  failed: 0,
  rateLimited: 0,
  reset: 0,
  inFlight: 0,
  peakInFlight: 0
})

type MutableRouteStats = { -readonly [K in keyof Upstream.RouteStats]: Upstream.RouteStats[K] }

const maxRecordedStarts = 100_000

/** Everything the server has seen, mutated only from request handlers (one thread, no locks needed). */
export class ServerState {
  profile: Upstream.FaultProfile
  random: () => number
  routes = new Map<string, MutableRouteStats>()
  total = emptyRoute()
  starts: Array<Upstream.RequestStart> = []
  windowStart = 0
  windowCount = 0
  readonly origin = performance.now()

  constructor(profile: Upstream.FaultProfile) {
    this.profile = profile
    this.random = seededRandom(profile.seed)
  }

  setProfile(profile: Upstream.FaultProfile) {
    const reseed = profile.seed !== this.profile.seed
    this.profile = profile
    if (reseed) this.random = seededRandom(profile.seed)
  }

  now(): number {
    return performance.now() - this.origin
  }

  begin(route: string): void {
    const stats = this.routes.get(route) ?? emptyRoute()
    this.routes.set(route, stats)
    for (const s of [stats, this.total]) {
      s.started++
      s.inFlight++
      if (s.inFlight > s.peakInFlight) s.peakInFlight = s.inFlight
    }
    if (this.starts.length < maxRecordedStarts) this.starts.push({ route, at: this.now() })
  }

  end(route: string, outcome: "finished" | "failed" | "aborted" | "rateLimited" | "reset"): void {
    const stats = this.routes.get(route)!
    for (const s of [stats, this.total]) {
      s.inFlight--
      s[outcome]++
      // A failed or rate-limited answer was still answered: count it as finished too.
      if (outcome === "failed" || outcome === "rateLimited") s.finished++
    }
  }

  /** Fixed one-window counter: answers how long to wait when the window is full, else undefined. */
  rateLimitDelayMs(): number | undefined {
    const limit = this.profile.rateLimit
    if (limit === undefined) return undefined
    const now = this.now()
    if (now - this.windowStart >= limit.windowMs) {
      this.windowStart = now
      this.windowCount = 0
    }
    if (this.windowCount < limit.limit) {
      this.windowCount++
      return undefined
    }
    return Math.max(1, Math.ceil(this.windowStart + limit.windowMs - now))
  }

  latencyMs(): number {
    const { jitterMs, latencyMs } = this.profile
    return latencyMs + (jitterMs > 0 ? Math.floor(this.random() * jitterMs) : 0)
  }

  injectedStatus(): number | undefined {
    const { failureRate, failureStatuses } = this.profile
    if (failureRate <= 0 || failureStatuses.length === 0) return undefined
    if (this.random() >= failureRate) return undefined
    return failureStatuses[Math.floor(this.random() * failureStatuses.length)]
  }

  injectReset(): boolean {
    return this.profile.resetRate > 0 && this.random() < this.profile.resetRate
  }

  snapshot(): Upstream.Stats {
    return {
      routes: Object.fromEntries(Array.from(this.routes, ([route, stats]) => [route, { ...stats }])),
      total: { ...this.total },
      starts: this.starts.slice()
    }
  }

  clear(): void {
    this.routes.clear()
    this.total = emptyRoute()
    this.starts = []
    this.windowStart = this.now()
    this.windowCount = 0
  }
}
