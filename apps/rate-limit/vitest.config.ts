import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-rate-limit",
    include: ["test/**/*.test.ts"]
  }
})
