/**
 * The root of glia's error classes. Every failure glia reports on purpose is a subclass with a
 * stable UPPER_SNAKE `code`, a `name` equal to its class name, and the underlying `cause` kept.
 * Messages name the culprit (file, API, field, request) and, where there is one, the fix.
 */
export class GliaError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
