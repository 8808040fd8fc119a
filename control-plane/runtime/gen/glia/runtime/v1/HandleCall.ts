// Original file: proto/glia/runtime/v1/runtime.proto

import type { HandleRequest as _glia_runtime_v1_HandleRequest, HandleRequest__Output as _glia_runtime_v1_HandleRequest__Output } from '../../../glia/runtime/v1/HandleRequest.ts';
import type { Long } from '@grpc/proto-loader';

/**
 * HandleCall is one request on HandleStream.
 */
export interface HandleCall {
  /**
   * Chosen by the caller, unique on its stream; the answer carries it back.
   */
  'callId'?: (number | string | Long);
  'request'?: (_glia_runtime_v1_HandleRequest | null);
}

/**
 * HandleCall is one request on HandleStream.
 */
export interface HandleCall__Output {
  /**
   * Chosen by the caller, unique on its stream; the answer carries it back.
   */
  'callId': (string);
  'request': (_glia_runtime_v1_HandleRequest__Output | null);
}
