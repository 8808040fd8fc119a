// Original file: proto/glia/runtime/v1/runtime.proto


// Original file: proto/glia/runtime/v1/runtime.proto

export const _glia_runtime_v1_HealthResponse_Status = {
  /**
   * Never sent; the zero value.
   */
  STATUS_UNSPECIFIED: 'STATUS_UNSPECIFIED',
  /**
   * The handler is constructed; Handle calls are served.
   */
  SERVING: 'SERVING',
  /**
   * The runtime is stopping; no new Handle calls are taken.
   */
  NOT_SERVING: 'NOT_SERVING',
} as const;

export type _glia_runtime_v1_HealthResponse_Status =
  /**
   * Never sent; the zero value.
   */
  | 'STATUS_UNSPECIFIED'
  | 0
  /**
   * The handler is constructed; Handle calls are served.
   */
  | 'SERVING'
  | 1
  /**
   * The runtime is stopping; no new Handle calls are taken.
   */
  | 'NOT_SERVING'
  | 2

export type _glia_runtime_v1_HealthResponse_Status__Output = typeof _glia_runtime_v1_HealthResponse_Status[keyof typeof _glia_runtime_v1_HealthResponse_Status]

/**
 * HealthResponse describes the runtime's state and the handler it hosts.
 */
export interface HealthResponse {
  /**
   * The runtime's state.
   */
  'status'?: (_glia_runtime_v1_HealthResponse_Status);
  /**
   * The runtime's process id, for supervision and logs.
   */
  'pid'?: (number);
  /**
   * The handler file the runtime loaded, relative to the project root.
   */
  'handlerPath'?: (string);
}

/**
 * HealthResponse describes the runtime's state and the handler it hosts.
 */
export interface HealthResponse__Output {
  /**
   * The runtime's state.
   */
  'status': (_glia_runtime_v1_HealthResponse_Status__Output);
  /**
   * The runtime's process id, for supervision and logs.
   */
  'pid': (number);
  /**
   * The handler file the runtime loaded, relative to the project root.
   */
  'handlerPath': (string);
}
