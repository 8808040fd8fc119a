// Original file: proto/glia/runtime/v1/runtime.proto


/**
 * MetricsRequest is empty; it exists so the call can grow fields without a new rpc.
 */
export interface MetricsRequest {
}

/**
 * MetricsRequest is empty; it exists so the call can grow fields without a new rpc.
 */
export interface MetricsRequest__Output {
}
