// Original file: proto/glia/runtime/v1/runtime.proto

import type { HandlerType as _glia_runtime_v1_HandlerType, HandlerType__Output as _glia_runtime_v1_HandlerType__Output } from '../../../glia/runtime/v1/HandlerType.ts';
import type { LogLevel as _glia_runtime_v1_LogLevel, LogLevel__Output as _glia_runtime_v1_LogLevel__Output } from '../../../glia/runtime/v1/LogLevel.ts';
import type { ModelsSpec as _glia_runtime_v1_ModelsSpec, ModelsSpec__Output as _glia_runtime_v1_ModelsSpec__Output } from '../../../glia/runtime/v1/ModelsSpec.ts';

/**
 * HandlerSpec is the `handler` section of cortex.yaml, resolved.
 */
export interface HandlerSpec {
  /**
   * Which handler interface: what Handler.__init__ may take.
   */
  'type'?: (_glia_runtime_v1_HandlerType);
  /**
   * The handler file, relative to the project root, POSIX separators.
   */
  'path'?: (string);
  /**
   * The handler's `config` (passed to Handler.__init__) as the text of one JSON object ("{}"
   * when cortex.yaml gives none). JSON text rather than a google.protobuf.Struct, whose numbers
   * are all doubles: an integer must reach the handler as an int.
   */
  'configJson'?: (string);
  /**
   * A folder to put on sys.path after the project root, relative to the project root and ending
   * with "/"; "" when cortex.yaml gives none.
   */
  'pythonPath'?: (string);
  /**
   * The level of the runtime's own log and of the handler's cortex_internal logger.
   */
  'logLevel'?: (_glia_runtime_v1_LogLevel);
  /**
   * The SavedModels to load: set for HANDLER_TYPE_TENSORFLOW only.
   */
  'models'?: (_glia_runtime_v1_ModelsSpec | null);
}

/**
 * HandlerSpec is the `handler` section of cortex.yaml, resolved.
 */
export interface HandlerSpec__Output {
  /**
   * Which handler interface: what Handler.__init__ may take.
   */
  'type': (_glia_runtime_v1_HandlerType__Output);
  /**
   * The handler file, relative to the project root, POSIX separators.
   */
  'path': (string);
  /**
   * The handler's `config` (passed to Handler.__init__) as the text of one JSON object ("{}"
   * when cortex.yaml gives none). JSON text rather than a google.protobuf.Struct, whose numbers
   * are all doubles: an integer must reach the handler as an int.
   */
  'configJson': (string);
  /**
   * A folder to put on sys.path after the project root, relative to the project root and ending
   * with "/"; "" when cortex.yaml gives none.
   */
  'pythonPath': (string);
  /**
   * The level of the runtime's own log and of the handler's cortex_internal logger.
   */
  'logLevel': (_glia_runtime_v1_LogLevel__Output);
  /**
   * The SavedModels to load: set for HANDLER_TYPE_TENSORFLOW only.
   */
  'models': (_glia_runtime_v1_ModelsSpec__Output | null);
}
