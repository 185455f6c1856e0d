import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "redis",
    include: ["test/**/*.test.ts"],
    // Tests start real redis-server processes and child workers: allow for a slow, shared machine.
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
