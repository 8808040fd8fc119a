// Original file: proto/glia/runtime/v1/runtime.proto

import type { HandlerFailure as _glia_runtime_v1_HandlerFailure, HandlerFailure__Output as _glia_runtime_v1_HandlerFailure__Output } from '../../../glia/runtime/v1/HandlerFailure.ts';

/**
 * HandleResponse carries exactly one outcome.
 */
export interface HandleResponse {
  /**
   * The handler's return value, serialised as UTF-8 JSON (always a JSON object).
   */
  'resultJson'?: (Buffer | Uint8Array | string);
  /**
   * Why the request failed inside user code or while decoding its payload.
   */
  'failure'?: (_glia_runtime_v1_HandlerFailure | null);
  /**
   * Wall-clock seconds spent in handle_async (0 when it was never called).
   */
  'handlerSeconds'?: (number | string);
  'outcome'?: "resultJson"|"failure";
}

/**
 * HandleResponse carries exactly one outcome.
 */
export interface HandleResponse__Output {
  /**
   * The handler's return value, serialised as UTF-8 JSON (always a JSON object).
   */
  'resultJson'?: (Buffer);
  /**
   * Why the request failed inside user code or while decoding its payload.
   */
  'failure'?: (_glia_runtime_v1_HandlerFailure__Output | null);
  /**
   * Wall-clock seconds spent in handle_async (0 when it was never called).
   */
  'handlerSeconds': (number);
  'outcome'?: "resultJson"|"failure";
}
