import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-shared-state",
    include: ["test/**/*.test.ts"]
  }
})
