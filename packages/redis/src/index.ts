/**
 * @since 0.1.0
 */
export * as RedisConnection from "./RedisConnection.js"

/**
 * @since 0.1.0
 */
export * as RedisLimiter from "./RedisLimiter.js"

/**
 * @since 0.1.0
 */
export * as RedisServer from "./RedisServer.js"

/**
 * @since 0.1.0
 */
export * as RedisTokenBucket from "./RedisTokenBucket.js"

/**
 * @since 0.1.0
 */
export * as RedisWorkQueue from "./RedisWorkQueue.js"
