import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "node",
    include: ["test/**/*.test.ts"],
    // Worker threads start through tsx: allow for a slow, shared machine.
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
