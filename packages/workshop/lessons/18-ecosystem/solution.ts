/**
 * Lesson 18, reference solution.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Upstream } from "@fiberkit/upstream"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

export const User = Schema.Struct({ id: Schema.String, name: Schema.String })
export type User = typeof User.Type

/** GET /users/:id on the upstream, a non-2xx status as a failure, the body decoded as a User. */
export const fetchUser = (id: string) =>
  Effect.gen(function*() {
    const upstream = yield* Upstream.Upstream
    const client = HttpClient.filterStatusOk(yield* HttpClient.HttpClient)
    return yield* client.get(upstream.url(`/users/${id}`)).pipe(
      Effect.flatMap(HttpClientResponse.schemaBodyJson(User)),
      Effect.scoped
    )
  })

/** Write the user as JSON to `<dir>/user-<id>.json` and return the path. */
export const saveUser = (user: User, dir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = `${dir}/user-${user.id}.json`
    yield* fs.writeFileString(path, JSON.stringify(user))
    return path
  })

/** Read a saved user back, decoding it with the schema. */
export const loadUser = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    return yield* Schema.decode(Schema.parseJson(User))(yield* fs.readFileString(path))
  })
