import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-distributed",
    include: ["test/**/*.test.ts"],
    // The test runs the real demo: redis-server, the upstream and three tsx worker processes on a shared machine.
    testTimeout: 120_000
  }
})
