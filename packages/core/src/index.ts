/**
 * @since 0.1.0
 */
export * as AsyncStream from "./AsyncStream.js"

/**
 * @since 0.1.0
 */
export * as BackgroundTasks from "./BackgroundTasks.js"

/**
 * @since 0.1.0
 */
export * as Batch from "./Batch.js"

/**
 * @since 0.1.0
 */
export * as Bridge from "./Bridge.js"

/**
 * @since 0.1.0
 */
export * as Cancellation from "./Cancellation.js"

/**
 * @since 0.1.0
 */
export * as Deadline from "./Deadline.js"

/**
 * @since 0.1.0
 */
export * as Diagnostics from "./Diagnostics.js"

/**
 * @since 0.1.0
 */
export * as ErrorGroup from "./ErrorGroup.js"

/**
 * @since 0.1.0
 */
export * as InvalidArgument from "./InvalidArgument.js"

/**
 * @since 0.1.0
 */
export * as Limiter from "./Limiter.js"

/**
 * @since 0.1.0
 */
export * as Mutex from "./Mutex.js"

/**
 * @since 0.1.0
 */
export * as ResourcePool from "./ResourcePool.js"

/**
 * @since 0.1.0
 */
export * as Retry from "./Retry.js"

/**
 * @since 0.1.0
 */
export * as TaskGroup from "./TaskGroup.js"

/**
 * @since 0.1.0
 */
export * as Timeline from "./Timeline.js"

/**
 * @since 0.1.0
 */
export * as TokenBucket from "./TokenBucket.js"

/**
 * @since 0.1.0
 */
export * as WorkQueue from "./WorkQueue.js"
