import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-timeouts",
    include: ["test/**/*.test.ts"]
  }
})
