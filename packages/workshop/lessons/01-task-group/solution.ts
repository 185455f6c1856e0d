import { TaskGroup } from "@fiberkit/core"
import * as Effect from "effect/Effect"
import { Api, type Dashboard } from "./api.js"

/** Part 1: the three calls run at once; if one fails the others are interrupted. */
export const fetchDashboard = (userId: string) =>
  TaskGroup.run((group) =>
    Effect.gen(function*() {
      const api = yield* Api
      const user = yield* TaskGroup.spawn(group, api.user(userId))
      const orders = yield* TaskGroup.spawn(group, api.orders(userId))
      const preferences = yield* TaskGroup.spawn(group, api.preferences(userId))
      return {
        user: yield* TaskGroup.join(user),
        orders: yield* TaskGroup.join(orders),
        preferences: yield* TaskGroup.join(preferences)
      } satisfies Dashboard
    })
  )

/** Part 2: many dashboards at once, results in the order of `userIds`. */
export const fetchDashboards = (userIds: ReadonlyArray<string>) => TaskGroup.runAll(userIds.map(fetchDashboard))
