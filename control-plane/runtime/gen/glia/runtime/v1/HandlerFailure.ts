// Original file: proto/glia/runtime/v1/runtime.proto


/**
 * HandlerFailure describes a failure that belongs to the request, not to the runtime.
 */
export interface HandlerFailure {
  /**
   * A short class name: the Python exception type (e.g. "ValueError"), or one of glia's own:
   * "PayloadDecodeError", "InvalidResultError".
   */
  'type'?: (string);
  /**
   * The human-readable message, naming what was wrong.
   */
  'message'?: (string);
  /**
   * The formatted Python traceback, when there is one.
   */
  'traceback'?: (string);
}

/**
 * HandlerFailure describes a failure that belongs to the request, not to the runtime.
 */
export interface HandlerFailure__Output {
  /**
   * A short class name: the Python exception type (e.g. "ValueError"), or one of glia's own:
   * "PayloadDecodeError", "InvalidResultError".
   */
  'type': (string);
  /**
   * The human-readable message, naming what was wrong.
   */
  'message': (string);
  /**
   * The formatted Python traceback, when there is one.
   */
  'traceback': (string);
}
