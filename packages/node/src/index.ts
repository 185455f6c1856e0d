/**
 * @since 0.1.0
 */
export * as Offload from "./Offload.js"

/**
 * @since 0.1.0
 */
export * as ThreadBridge from "./ThreadBridge.js"
