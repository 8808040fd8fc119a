import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { HandleAnswer as _glia_runtime_v1_HandleAnswer, HandleAnswer__Output as _glia_runtime_v1_HandleAnswer__Output } from './glia/runtime/v1/HandleAnswer.ts';
import type { HandleCall as _glia_runtime_v1_HandleCall, HandleCall__Output as _glia_runtime_v1_HandleCall__Output } from './glia/runtime/v1/HandleCall.ts';
import type { HandleRequest as _glia_runtime_v1_HandleRequest, HandleRequest__Output as _glia_runtime_v1_HandleRequest__Output } from './glia/runtime/v1/HandleRequest.ts';
import type { HandleResponse as _glia_runtime_v1_HandleResponse, HandleResponse__Output as _glia_runtime_v1_HandleResponse__Output } from './glia/runtime/v1/HandleResponse.ts';
import type { HandlerFailure as _glia_runtime_v1_HandlerFailure, HandlerFailure__Output as _glia_runtime_v1_HandlerFailure__Output } from './glia/runtime/v1/HandlerFailure.ts';
import type { HandlerSpec as _glia_runtime_v1_HandlerSpec, HandlerSpec__Output as _glia_runtime_v1_HandlerSpec__Output } from './glia/runtime/v1/HandlerSpec.ts';
import type { HealthRequest as _glia_runtime_v1_HealthRequest, HealthRequest__Output as _glia_runtime_v1_HealthRequest__Output } from './glia/runtime/v1/HealthRequest.ts';
import type { HealthResponse as _glia_runtime_v1_HealthResponse, HealthResponse__Output as _glia_runtime_v1_HealthResponse__Output } from './glia/runtime/v1/HealthResponse.ts';
import type { MetricsRequest as _glia_runtime_v1_MetricsRequest, MetricsRequest__Output as _glia_runtime_v1_MetricsRequest__Output } from './glia/runtime/v1/MetricsRequest.ts';
import type { MetricsResponse as _glia_runtime_v1_MetricsResponse, MetricsResponse__Output as _glia_runtime_v1_MetricsResponse__Output } from './glia/runtime/v1/MetricsResponse.ts';
import type { ModelPath as _glia_runtime_v1_ModelPath, ModelPath__Output as _glia_runtime_v1_ModelPath__Output } from './glia/runtime/v1/ModelPath.ts';
import type { ModelPaths as _glia_runtime_v1_ModelPaths, ModelPaths__Output as _glia_runtime_v1_ModelPaths__Output } from './glia/runtime/v1/ModelPaths.ts';
import type { ModelsSpec as _glia_runtime_v1_ModelsSpec, ModelsSpec__Output as _glia_runtime_v1_ModelsSpec__Output } from './glia/runtime/v1/ModelsSpec.ts';
import type { RuntimeClient as _glia_runtime_v1_RuntimeClient, RuntimeDefinition as _glia_runtime_v1_RuntimeDefinition } from './glia/runtime/v1/Runtime.ts';
import type { RuntimeSpec as _glia_runtime_v1_RuntimeSpec, RuntimeSpec__Output as _glia_runtime_v1_RuntimeSpec__Output } from './glia/runtime/v1/RuntimeSpec.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  glia: {
    runtime: {
      v1: {
        HandleAnswer: MessageTypeDefinition<_glia_runtime_v1_HandleAnswer, _glia_runtime_v1_HandleAnswer__Output>
        HandleCall: MessageTypeDefinition<_glia_runtime_v1_HandleCall, _glia_runtime_v1_HandleCall__Output>
        HandleRequest: MessageTypeDefinition<_glia_runtime_v1_HandleRequest, _glia_runtime_v1_HandleRequest__Output>
        HandleResponse: MessageTypeDefinition<_glia_runtime_v1_HandleResponse, _glia_runtime_v1_HandleResponse__Output>
        HandlerFailure: MessageTypeDefinition<_glia_runtime_v1_HandlerFailure, _glia_runtime_v1_HandlerFailure__Output>
        HandlerSpec: MessageTypeDefinition<_glia_runtime_v1_HandlerSpec, _glia_runtime_v1_HandlerSpec__Output>
        HandlerType: EnumTypeDefinition
        HealthRequest: MessageTypeDefinition<_glia_runtime_v1_HealthRequest, _glia_runtime_v1_HealthRequest__Output>
        HealthResponse: MessageTypeDefinition<_glia_runtime_v1_HealthResponse, _glia_runtime_v1_HealthResponse__Output>
        LogLevel: EnumTypeDefinition
        MetricsRequest: MessageTypeDefinition<_glia_runtime_v1_MetricsRequest, _glia_runtime_v1_MetricsRequest__Output>
        MetricsResponse: MessageTypeDefinition<_glia_runtime_v1_MetricsResponse, _glia_runtime_v1_MetricsResponse__Output>
        ModelPath: MessageTypeDefinition<_glia_runtime_v1_ModelPath, _glia_runtime_v1_ModelPath__Output>
        ModelPaths: MessageTypeDefinition<_glia_runtime_v1_ModelPaths, _glia_runtime_v1_ModelPaths__Output>
        ModelsSpec: MessageTypeDefinition<_glia_runtime_v1_ModelsSpec, _glia_runtime_v1_ModelsSpec__Output>
        /**
         * Runtime hosts exactly one user Handler and runs one request at a time on it.
         * gRPC status codes describe the runtime or the transport only; a handler's own failure is data
         * (HandleResponse.failure), never a gRPC error.
         */
        Runtime: SubtypeConstructor<typeof grpc.Client, _glia_runtime_v1_RuntimeClient> & { service: _glia_runtime_v1_RuntimeDefinition }
        RuntimeSpec: MessageTypeDefinition<_glia_runtime_v1_RuntimeSpec, _glia_runtime_v1_RuntimeSpec__Output>
      }
    }
  }
}

