import * as Effect from "effect/Effect"

/**
 * The longest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days): past it Node fires after 1 ms, which
 * would turn a refresh or poll loop with a long TTL into a busy loop. Clamped, such a loop wakes early and harmlessly.
 *
 * @internal
 */
export const maxTimerMillis = 2_147_483_647

/** @internal */
export const timerMillis = (millis: number): number => Math.min(maxTimerMillis, Math.max(0, millis))

/**
 * Sleeps on the host's timers, not on Effect's `Clock` service. Everything this package waits for (a server to
 * answer, a lease to need refreshing, a permit freed by another process) happens on real time, on Redis's
 * clock; a `TestClock` in the caller's environment must not freeze those waits.
 *
 * @internal
 */
export const sleep = (millis: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), timerMillis(millis))
    return Effect.sync(() => clearTimeout(timer))
  })

/**
 * `effect` or `onTimeout` after `millis` of real time, whichever comes first. Both sides are made
 * interruptible: used inside a finalizer (uninterruptible), the loser would otherwise run to its end.
 *
 * @internal
 */
export const timeoutTo = <A, E, R, B>(
  effect: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => B
): Effect.Effect<A | B, E, R> =>
  Effect.raceFirst(
    Effect.interruptible(effect),
    Effect.interruptible(Effect.map(sleep(millis), onTimeout))
  )
