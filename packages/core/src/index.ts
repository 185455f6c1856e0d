/**
 * @since 0.1.0
 */
export * as InvalidArgument from "./InvalidArgument.js"

/**
 * @since 0.1.0
 */
export * as TaskGroup from "./TaskGroup.js"
