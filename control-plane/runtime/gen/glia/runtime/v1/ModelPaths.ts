// Original file: proto/glia/runtime/v1/runtime.proto

import type { ModelPath as _glia_runtime_v1_ModelPath, ModelPath__Output as _glia_runtime_v1_ModelPath__Output } from '../../../glia/runtime/v1/ModelPath.ts';

/**
 * ModelPaths is the `handler.models.paths` list (a oneof member cannot itself be repeated).
 */
export interface ModelPaths {
  /**
   * The models, in the order cortex.yaml lists them; at least one, names unique.
   */
  'entries'?: (_glia_runtime_v1_ModelPath)[];
}

/**
 * ModelPaths is the `handler.models.paths` list (a oneof member cannot itself be repeated).
 */
export interface ModelPaths__Output {
  /**
   * The models, in the order cortex.yaml lists them; at least one, names unique.
   */
  'entries': (_glia_runtime_v1_ModelPath__Output)[];
}
