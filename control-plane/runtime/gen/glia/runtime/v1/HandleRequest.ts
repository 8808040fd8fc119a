// Original file: proto/glia/runtime/v1/runtime.proto


/**
 * HandleRequest is one queued request, as the gateway accepted it.
 */
export interface HandleRequest {
  /**
   * The request id returned to the client by the gateway; passed to handle_async as request_id.
   */
  'requestId'?: (string);
  /**
   * The raw request body, exactly as received.
   */
  'payload'?: (Buffer | Uint8Array | string);
  /**
   * The request's Content-Type header ("" when the client sent none); selects the decoding.
   */
  'contentType'?: (string);
  /**
   * The request's headers, lower-cased names; informational for the handler.
   */
  'headers'?: ({[key: string]: string});
  /**
   * Which delivery of this request this is, starting at 1 (redeliveries after a crash count up).
   */
  'attempt'?: (number);
}

/**
 * HandleRequest is one queued request, as the gateway accepted it.
 */
export interface HandleRequest__Output {
  /**
   * The request id returned to the client by the gateway; passed to handle_async as request_id.
   */
  'requestId': (string);
  /**
   * The raw request body, exactly as received.
   */
  'payload': (Buffer);
  /**
   * The request's Content-Type header ("" when the client sent none); selects the decoding.
   */
  'contentType': (string);
  /**
   * The request's headers, lower-cased names; informational for the handler.
   */
  'headers': ({[key: string]: string});
  /**
   * Which delivery of this request this is, starting at 1 (redeliveries after a crash count up).
   */
  'attempt': (number);
}
