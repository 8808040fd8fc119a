// Original file: proto/glia/runtime/v1/runtime.proto

/**
 * LogLevel is cortex.yaml's `handler.log_level`.
 */
export const LogLevel = {
  /**
   * Never sent; the zero value.
   */
  LOG_LEVEL_UNSPECIFIED: 'LOG_LEVEL_UNSPECIFIED',
  /**
   * Everything, including a line per request.
   */
  LOG_LEVEL_DEBUG: 'LOG_LEVEL_DEBUG',
  /**
   * Lifecycle steps and what the handler logs at info.
   */
  LOG_LEVEL_INFO: 'LOG_LEVEL_INFO',
  /**
   * Recovered faults and worse.
   */
  LOG_LEVEL_WARNING: 'LOG_LEVEL_WARNING',
  /**
   * Lost work and crashes only.
   */
  LOG_LEVEL_ERROR: 'LOG_LEVEL_ERROR',
} as const;

/**
 * LogLevel is cortex.yaml's `handler.log_level`.
 */
export type LogLevel =
  /**
   * Never sent; the zero value.
   */
  | 'LOG_LEVEL_UNSPECIFIED'
  | 0
  /**
   * Everything, including a line per request.
   */
  | 'LOG_LEVEL_DEBUG'
  | 1
  /**
   * Lifecycle steps and what the handler logs at info.
   */
  | 'LOG_LEVEL_INFO'
  | 2
  /**
   * Recovered faults and worse.
   */
  | 'LOG_LEVEL_WARNING'
  | 3
  /**
   * Lost work and crashes only.
   */
  | 'LOG_LEVEL_ERROR'
  | 4

/**
 * LogLevel is cortex.yaml's `handler.log_level`.
 */
export type LogLevel__Output = typeof LogLevel[keyof typeof LogLevel]
