// Original file: proto/glia/runtime/v1/runtime.proto

import type { ModelPaths as _glia_runtime_v1_ModelPaths, ModelPaths__Output as _glia_runtime_v1_ModelPaths__Output } from '../../../glia/runtime/v1/ModelPaths.ts';

/**
 * ModelsSpec is cortex.yaml's `handler.models`: the SavedModels a tensorflow handler serves. Each
 * location is a folder relative to the project root, or an absolute folder: the local copy the
 * worker fetched for an s3:// URL. The runtime never sees a URL.
 */
export interface ModelsSpec {
  /**
   * One SavedModel folder; tensorflow_client serves it alone.
   */
  'path'?: (string);
  /**
   * Several named SavedModel folders.
   */
  'paths'?: (_glia_runtime_v1_ModelPaths | null);
  /**
   * A folder whose sub-folders are SavedModels, each named after its sub-folder.
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
 * ModelsSpec is cortex.yaml's `handler.models`: the SavedModels a tensorflow handler serves. Each
 * location is a folder relative to the project root, or an absolute folder: the local copy the
 * worker fetched for an s3:// URL. The runtime never sees a URL.
 */
export interface ModelsSpec__Output {
  /**
   * One SavedModel folder; tensorflow_client serves it alone.
   */
  'path'?: (string);
  /**
   * Several named SavedModel folders.
   */
  'paths'?: (_glia_runtime_v1_ModelPaths__Output | null);
  /**
   * A folder whose sub-folders are SavedModels, each named after its sub-folder.
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
