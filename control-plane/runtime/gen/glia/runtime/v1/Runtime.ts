// Original file: proto/glia/runtime/v1/runtime.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { HandleAnswer as _glia_runtime_v1_HandleAnswer, HandleAnswer__Output as _glia_runtime_v1_HandleAnswer__Output } from '../../../glia/runtime/v1/HandleAnswer.ts';
import type { HandleCall as _glia_runtime_v1_HandleCall, HandleCall__Output as _glia_runtime_v1_HandleCall__Output } from '../../../glia/runtime/v1/HandleCall.ts';
import type { HandleRequest as _glia_runtime_v1_HandleRequest, HandleRequest__Output as _glia_runtime_v1_HandleRequest__Output } from '../../../glia/runtime/v1/HandleRequest.ts';
import type { HandleResponse as _glia_runtime_v1_HandleResponse, HandleResponse__Output as _glia_runtime_v1_HandleResponse__Output } from '../../../glia/runtime/v1/HandleResponse.ts';
import type { HealthRequest as _glia_runtime_v1_HealthRequest, HealthRequest__Output as _glia_runtime_v1_HealthRequest__Output } from '../../../glia/runtime/v1/HealthRequest.ts';
import type { HealthResponse as _glia_runtime_v1_HealthResponse, HealthResponse__Output as _glia_runtime_v1_HealthResponse__Output } from '../../../glia/runtime/v1/HealthResponse.ts';
import type { MetricsRequest as _glia_runtime_v1_MetricsRequest, MetricsRequest__Output as _glia_runtime_v1_MetricsRequest__Output } from '../../../glia/runtime/v1/MetricsRequest.ts';
import type { MetricsResponse as _glia_runtime_v1_MetricsResponse, MetricsResponse__Output as _glia_runtime_v1_MetricsResponse__Output } from '../../../glia/runtime/v1/MetricsResponse.ts';

/**
 * Runtime hosts exactly one user Handler and runs one request at a time on it.
 * gRPC status codes describe the runtime or the transport only; a handler's own failure is data
 * (HandleResponse.failure), never a gRPC error.
 */
export interface RuntimeClient extends grpc.Client {
  /**
   * Handle decodes the payload by its content type, calls Handler.handle_async with the
   * arguments the handler declares, and returns its JSON result or a structured failure.
   */
  Handle(argument: _glia_runtime_v1_HandleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_HandleResponse__Output>): grpc.ClientUnaryCall;
  Handle(argument: _glia_runtime_v1_HandleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_glia_runtime_v1_HandleResponse__Output>): grpc.ClientUnaryCall;
  Handle(argument: _glia_runtime_v1_HandleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_HandleResponse__Output>): grpc.ClientUnaryCall;
  Handle(argument: _glia_runtime_v1_HandleRequest, callback: grpc.requestCallback<_glia_runtime_v1_HandleResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Handle decodes the payload by its content type, calls Handler.handle_async with the
   * arguments the handler declares, and returns its JSON result or a structured failure.
   */
  handle(argument: _glia_runtime_v1_HandleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_HandleResponse__Output>): grpc.ClientUnaryCall;
  handle(argument: _glia_runtime_v1_HandleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_glia_runtime_v1_HandleResponse__Output>): grpc.ClientUnaryCall;
  handle(argument: _glia_runtime_v1_HandleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_HandleResponse__Output>): grpc.ClientUnaryCall;
  handle(argument: _glia_runtime_v1_HandleRequest, callback: grpc.requestCallback<_glia_runtime_v1_HandleResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * HandleStream is Handle over one long-lived stream per worker and runtime, so a request costs
   * two messages rather than a call: each HandleCall is answered once, by a HandleAnswer with its
   * call_id, when the handler is done with it. Closing the stream gives up the calls not answered.
   */
  HandleStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_glia_runtime_v1_HandleCall, _glia_runtime_v1_HandleAnswer__Output>;
  HandleStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_glia_runtime_v1_HandleCall, _glia_runtime_v1_HandleAnswer__Output>;
  /**
   * HandleStream is Handle over one long-lived stream per worker and runtime, so a request costs
   * two messages rather than a call: each HandleCall is answered once, by a HandleAnswer with its
   * call_id, when the handler is done with it. Closing the stream gives up the calls not answered.
   */
  handleStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_glia_runtime_v1_HandleCall, _glia_runtime_v1_HandleAnswer__Output>;
  handleStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_glia_runtime_v1_HandleCall, _glia_runtime_v1_HandleAnswer__Output>;
  
  /**
   * Health reports whether the handler has been constructed and the runtime takes requests.
   */
  Health(argument: _glia_runtime_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _glia_runtime_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_glia_runtime_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _glia_runtime_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _glia_runtime_v1_HealthRequest, callback: grpc.requestCallback<_glia_runtime_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Health reports whether the handler has been constructed and the runtime takes requests.
   */
  health(argument: _glia_runtime_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _glia_runtime_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_glia_runtime_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _glia_runtime_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _glia_runtime_v1_HealthRequest, callback: grpc.requestCallback<_glia_runtime_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Metrics returns what the handler recorded with its metrics_client, for Prometheus.
   */
  Metrics(argument: _glia_runtime_v1_MetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  Metrics(argument: _glia_runtime_v1_MetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_glia_runtime_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  Metrics(argument: _glia_runtime_v1_MetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  Metrics(argument: _glia_runtime_v1_MetricsRequest, callback: grpc.requestCallback<_glia_runtime_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Metrics returns what the handler recorded with its metrics_client, for Prometheus.
   */
  metrics(argument: _glia_runtime_v1_MetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  metrics(argument: _glia_runtime_v1_MetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_glia_runtime_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  metrics(argument: _glia_runtime_v1_MetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_glia_runtime_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  metrics(argument: _glia_runtime_v1_MetricsRequest, callback: grpc.requestCallback<_glia_runtime_v1_MetricsResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Runtime hosts exactly one user Handler and runs one request at a time on it.
 * gRPC status codes describe the runtime or the transport only; a handler's own failure is data
 * (HandleResponse.failure), never a gRPC error.
 */
export interface RuntimeHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Handle decodes the payload by its content type, calls Handler.handle_async with the
   * arguments the handler declares, and returns its JSON result or a structured failure.
   */
  Handle: grpc.handleUnaryCall<_glia_runtime_v1_HandleRequest__Output, _glia_runtime_v1_HandleResponse>;
  
  /**
   * HandleStream is Handle over one long-lived stream per worker and runtime, so a request costs
   * two messages rather than a call: each HandleCall is answered once, by a HandleAnswer with its
   * call_id, when the handler is done with it. Closing the stream gives up the calls not answered.
   */
  HandleStream: grpc.handleBidiStreamingCall<_glia_runtime_v1_HandleCall__Output, _glia_runtime_v1_HandleAnswer>;
  
  /**
   * Health reports whether the handler has been constructed and the runtime takes requests.
   */
  Health: grpc.handleUnaryCall<_glia_runtime_v1_HealthRequest__Output, _glia_runtime_v1_HealthResponse>;
  
  /**
   * Metrics returns what the handler recorded with its metrics_client, for Prometheus.
   */
  Metrics: grpc.handleUnaryCall<_glia_runtime_v1_MetricsRequest__Output, _glia_runtime_v1_MetricsResponse>;
  
}

export interface RuntimeDefinition extends grpc.ServiceDefinition {
  Handle: MethodDefinition<_glia_runtime_v1_HandleRequest, _glia_runtime_v1_HandleResponse, _glia_runtime_v1_HandleRequest__Output, _glia_runtime_v1_HandleResponse__Output>
  HandleStream: MethodDefinition<_glia_runtime_v1_HandleCall, _glia_runtime_v1_HandleAnswer, _glia_runtime_v1_HandleCall__Output, _glia_runtime_v1_HandleAnswer__Output>
  Health: MethodDefinition<_glia_runtime_v1_HealthRequest, _glia_runtime_v1_HealthResponse, _glia_runtime_v1_HealthRequest__Output, _glia_runtime_v1_HealthResponse__Output>
  Metrics: MethodDefinition<_glia_runtime_v1_MetricsRequest, _glia_runtime_v1_MetricsResponse, _glia_runtime_v1_MetricsRequest__Output, _glia_runtime_v1_MetricsResponse__Output>
}
