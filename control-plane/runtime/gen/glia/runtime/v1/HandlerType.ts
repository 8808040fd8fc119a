// Original file: proto/glia/runtime/v1/runtime.proto

/**
 * HandlerType is cortex.yaml's `handler.type`.
 */
export const HandlerType = {
  /**
   * Never sent; the zero value.
   */
  HANDLER_TYPE_UNSPECIFIED: 'HANDLER_TYPE_UNSPECIFIED',
  /**
   * A Python handler: Handler.__init__ may take config and metrics_client.
   */
  HANDLER_TYPE_PYTHON: 'HANDLER_TYPE_PYTHON',
  /**
   * A TensorFlow handler: the runtime loads `models` and also passes tensorflow_client.
   */
  HANDLER_TYPE_TENSORFLOW: 'HANDLER_TYPE_TENSORFLOW',
} as const;

/**
 * HandlerType is cortex.yaml's `handler.type`.
 */
export type HandlerType =
  /**
   * Never sent; the zero value.
   */
  | 'HANDLER_TYPE_UNSPECIFIED'
  | 0
  /**
   * A Python handler: Handler.__init__ may take config and metrics_client.
   */
  | 'HANDLER_TYPE_PYTHON'
  | 1
  /**
   * A TensorFlow handler: the runtime loads `models` and also passes tensorflow_client.
   */
  | 'HANDLER_TYPE_TENSORFLOW'
  | 2

/**
 * HandlerType is cortex.yaml's `handler.type`.
 */
export type HandlerType__Output = typeof HandlerType[keyof typeof HandlerType]
