import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-streams",
    include: ["test/**/*.test.ts"]
  }
})
