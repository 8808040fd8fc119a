// Original file: proto/glia/runtime/v1/runtime.proto

import type { ModelPaths as _glia_runtime_v1_ModelPaths, ModelPaths__Output as _glia_runtime_v1_ModelPaths__Output } from '../../../glia/runtime/v1/ModelPaths.ts';

/**
 * ModelsSpec is cortex.yaml's `handler.models`: the SavedModels a tensorflow handler serves.
 */
export interface ModelsSpec {
  /**
   * One SavedModel folder, relative to the project root; tensorflow_client serves it alone.
   */
  'path'?: (string);
  /**
   * Several named SavedModel folders.
   */
  'paths'?: (_glia_runtime_v1_ModelPaths | null);
  /**
   * A folder, relative to the project root, whose sub-folders are SavedModels, each named after
   * its sub-folder.
   */
  'dir'?: (string);
  /**
   * The signature served when an entry names none; "" for "serving_default".
   */
  'signatureKey'?: (string);
  /**
   * Where the SavedModels are: exactly one of these is set.
   */
  'source'?: "path"|"paths"|"dir";
}

/**
 * ModelsSpec is cortex.yaml's `handler.models`: the SavedModels a tensorflow handler serves.
 */
export interface ModelsSpec__Output {
  /**
   * One SavedModel folder, relative to the project root; tensorflow_client serves it alone.
   */
  'path'?: (string);
  /**
   * Several named SavedModel folders.
   */
  'paths'?: (_glia_runtime_v1_ModelPaths__Output | null);
  /**
   * A folder, relative to the project root, whose sub-folders are SavedModels, each named after
   * its sub-folder.
   */
  'dir'?: (string);
  /**
   * The signature served when an entry names none; "" for "serving_default".
   */
  'signatureKey': (string);
  /**
   * Where the SavedModels are: exactly one of these is set.
   */
  'source'?: "path"|"paths"|"dir";
}
