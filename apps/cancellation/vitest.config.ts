import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-cancellation",
    include: ["test/**/*.test.ts"]
  }
})
