// Original file: proto/glia/runtime/v1/runtime.proto


/**
 * ModelPath is one entry of `handler.models.paths`.
 */
export interface ModelPath {
  /**
   * What tensorflow_client.predict(..., model_name=...) picks the model by.
   */
  'name'?: (string);
  /**
   * The SavedModel folder (see ModelsSpec for relative and absolute folders).
   */
  'path'?: (string);
  /**
   * The signature to serve; "" for ModelsSpec.signature_key.
   */
  'signatureKey'?: (string);
}

/**
 * ModelPath is one entry of `handler.models.paths`.
 */
export interface ModelPath__Output {
  /**
   * What tensorflow_client.predict(..., model_name=...) picks the model by.
   */
  'name': (string);
  /**
   * The SavedModel folder (see ModelsSpec for relative and absolute folders).
   */
  'path': (string);
  /**
   * The signature to serve; "" for ModelsSpec.signature_key.
   */
  'signatureKey': (string);
}
