import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-when-async",
    include: ["test/**/*.test.ts"]
  }
})
