import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-debugging",
    include: ["test/**/*.test.ts"]
  }
})
