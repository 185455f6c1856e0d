import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-retry",
    include: ["test/**/*.test.ts"]
  }
})
