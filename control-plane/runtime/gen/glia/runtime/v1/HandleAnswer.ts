// Original file: proto/glia/runtime/v1/runtime.proto

import type { HandleResponse as _glia_runtime_v1_HandleResponse, HandleResponse__Output as _glia_runtime_v1_HandleResponse__Output } from '../../../glia/runtime/v1/HandleResponse.ts';
import type { Long } from '@grpc/proto-loader';

/**
 * HandleAnswer is the answer to one HandleCall: its response, or why the runtime gave it up.
 */
export interface HandleAnswer {
  'callId'?: (number | string | Long);
  /**
   * What Handle would have returned.
   */
  'response'?: (_glia_runtime_v1_HandleResponse | null);
  /**
   * Why the request was not run to the end (the runtime is stopping), as Handle's UNAVAILABLE.
   */
  'unavailable'?: (string);
  'answer'?: "response"|"unavailable";
}

/**
 * HandleAnswer is the answer to one HandleCall: its response, or why the runtime gave it up.
 */
export interface HandleAnswer__Output {
  'callId': (string);
  /**
   * What Handle would have returned.
   */
  'response'?: (_glia_runtime_v1_HandleResponse__Output | null);
  /**
   * Why the request was not run to the end (the runtime is stopping), as Handle's UNAVAILABLE.
   */
  'unavailable'?: (string);
  'answer'?: "response"|"unavailable";
}
