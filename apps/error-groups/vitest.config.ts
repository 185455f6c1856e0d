import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-error-groups",
    include: ["test/**/*.test.ts"]
  }
})
