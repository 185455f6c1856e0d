import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-queues",
    include: ["test/**/*.test.ts"]
  }
})
