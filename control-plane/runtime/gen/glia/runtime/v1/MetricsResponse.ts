// Original file: proto/glia/runtime/v1/runtime.proto


/**
 * MetricsResponse is a snapshot of every series the handler recorded since the runtime started.
 */
export interface MetricsResponse {
  /**
   * The series as a JSON array of objects: {"kind": "gauge"|"counter"|"histogram", "name",
   * "tags": {...}, "value" (gauge, counter), "count", "sum", "buckets": [[upper bound, cumulative
   * count], ...] (histogram)}.
   */
  'seriesJson'?: (Buffer | Uint8Array | string);
}

/**
 * MetricsResponse is a snapshot of every series the handler recorded since the runtime started.
 */
export interface MetricsResponse__Output {
  /**
   * The series as a JSON array of objects: {"kind": "gauge"|"counter"|"histogram", "name",
   * "tags": {...}, "value" (gauge, counter), "count", "sum", "buckets": [[upper bound, cumulative
   * count], ...] (histogram)}.
   */
  'seriesJson': (Buffer);
}
