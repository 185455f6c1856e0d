import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "demo-offload",
    include: ["test/**/*.test.ts"]
  }
})
