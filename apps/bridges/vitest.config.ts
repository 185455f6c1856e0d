import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-bridges",
    include: ["test/**/*.test.ts"]
  }
})
