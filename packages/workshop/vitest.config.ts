import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "workshop",
    include: ["lessons/**/*.test.ts", "test/**/*.test.ts"]
  }
})
