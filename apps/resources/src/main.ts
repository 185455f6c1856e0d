import { Demo, Upstream } from "@fiberkit/upstream"
import { program } from "./program.js"

Demo.main(program, Upstream.layer())
