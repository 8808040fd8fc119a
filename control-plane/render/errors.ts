import { GliaError } from "../errors.ts";

/** A project asks for something `glia render k8s` cannot express, or two projects clash. */
export class RenderError extends GliaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RENDER_INVALID", message, options);
  }
}
