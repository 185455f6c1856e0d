import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "upstream",
    include: ["test/**/*.test.ts"]
  }
})
