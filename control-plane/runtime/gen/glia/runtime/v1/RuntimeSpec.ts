// Original file: proto/glia/runtime/v1/runtime.proto

import type { HandlerSpec as _glia_runtime_v1_HandlerSpec, HandlerSpec__Output as _glia_runtime_v1_HandlerSpec__Output } from '../../../glia/runtime/v1/HandlerSpec.ts';

/**
 * RuntimeSpec is how the runtime starts: the worker writes it as proto3 JSON to the file named by
 * `python -m glia_runtime --spec FILE`. Every rule about cortex.yaml and every default is applied
 * by the worker (control-plane/config, control-plane/runtime) before it is written, so each field
 * is always set; the runtime only parses it.
 */
export interface RuntimeSpec {
  /**
   * The API name, added to every line the runtime logs.
   */
  'api'?: (string);
  /**
   * The handler to load and how.
   */
  'handler'?: (_glia_runtime_v1_HandlerSpec | null);
  /**
   * The largest gRPC message the runtime sends or receives, in bytes (1 to 2^31-1: gRPC's
   * channel options are C ints).
   */
  'maxMessageBytes'?: (number);
}

/**
 * RuntimeSpec is how the runtime starts: the worker writes it as proto3 JSON to the file named by
 * `python -m glia_runtime --spec FILE`. Every rule about cortex.yaml and every default is applied
 * by the worker (control-plane/config, control-plane/runtime) before it is written, so each field
 * is always set; the runtime only parses it.
 */
export interface RuntimeSpec__Output {
  /**
   * The API name, added to every line the runtime logs.
   */
  'api': (string);
  /**
   * The handler to load and how.
   */
  'handler': (_glia_runtime_v1_HandlerSpec__Output | null);
  /**
   * The largest gRPC message the runtime sends or receives, in bytes (1 to 2^31-1: gRPC's
   * channel options are C ints).
   */
  'maxMessageBytes': (number);
}
