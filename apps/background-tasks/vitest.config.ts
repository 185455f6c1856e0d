import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-background-tasks",
    include: ["test/**/*.test.ts"]
  }
})
