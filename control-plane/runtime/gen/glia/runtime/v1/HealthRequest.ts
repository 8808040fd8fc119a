// Original file: proto/glia/runtime/v1/runtime.proto


/**
 * HealthRequest is empty; it exists so the call can grow fields without a new rpc.
 */
export interface HealthRequest {
}

/**
 * HealthRequest is empty; it exists so the call can grow fields without a new rpc.
 */
export interface HealthRequest__Output {
}
