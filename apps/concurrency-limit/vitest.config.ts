import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-concurrency-limit",
    include: ["test/**/*.test.ts"]
  }
})
