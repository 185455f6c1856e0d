/**
 * Lesson 18: the ecosystem. Read README.md first, then make the test pass:
 *   pnpm --filter @fiberkit/workshop lesson 18
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { Upstream } from "@fiberkit/upstream"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { unsolved } from "../_shared/lesson.js"

export const User = Schema.Struct({ id: Schema.String, name: Schema.String })
export type User = typeof User.Type

/**
 * Part 1 (aiohttp): GET `/users/:id` on the upstream (`Upstream.Upstream` has `url(path)`), fail on a
 * non-2xx status (`HttpClient.filterStatusOk`), decode the body as a `User`
 * (`HttpClientResponse.schemaBodyJson`).
 */
export const fetchUser = (id: string): Effect.Effect<User, unknown, Upstream.Upstream | HttpClient.HttpClient> =>
  unsolved(`fetchUser(${id}): HttpClient + schemaBodyJson`)

/** Part 2 (aiofiles): write the user as JSON to `<dir>/user-<id>.json`; return that path. */
export const saveUser = (user: User, dir: string): Effect.Effect<string, unknown, FileSystem.FileSystem> =>
  unsolved(`saveUser(${user.id}, ${dir}): FileSystem.writeFileString`)

/** Part 3: read a saved user back and decode it with the schema (`Schema.parseJson(User)`). */
export const loadUser = (path: string): Effect.Effect<User, unknown, FileSystem.FileSystem> =>
  unsolved(`loadUser(${path}): FileSystem.readFileString + Schema.decode`)
