import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-timeline",
    include: ["test/**/*.test.ts"]
  }
})
