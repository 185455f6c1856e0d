import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-resources",
    include: ["test/**/*.test.ts"]
  }
})
