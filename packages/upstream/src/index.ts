/**
 * @since 0.1.0
 */
export * as Upstream from "./Upstream.js"

/**
 * @since 0.1.0
 */
export * as UpstreamClient from "./UpstreamClient.js"

/**
 * @since 0.1.0
 */
export * as CapturedConsole from "./CapturedConsole.js"

/**
 * @since 0.1.0
 */
export * as Demo from "./Demo.js"
