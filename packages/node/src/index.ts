/**
 * @since 0.1.0
 */
export * as LoopMonitor from "./LoopMonitor.js"

/**
 * @since 0.1.0
 */
export * as Offload from "./Offload.js"

/**
 * @since 0.1.0
 */
export * as ThreadBridge from "./ThreadBridge.js"
