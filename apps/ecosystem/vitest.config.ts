import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-ecosystem",
    include: ["test/**/*.test.ts"]
  }
})
