import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-task-group",
    include: ["test/**/*.test.ts"]
  }
})
