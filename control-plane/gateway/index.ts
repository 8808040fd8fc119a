export {
  createGatewayApp,
  createInternalApp,
  DEFAULT_MAX_BODY_BYTES,
  type GatewayOptions,
  type NotReady,
} from "./app.ts";
export { RouteTable, type ApiRoute, type RouteMatch } from "./routes.ts";
export { checkPayload } from "./payload-check.ts";
export { BodyBudget, DEFAULT_MAX_BODY_MEMORY_BYTES } from "./body-budget.ts";
export { PayloadError, PayloadTooLargeError, NotFoundError, RequestRejectedError, formatBytes } from "./errors.ts";
export { GatewayMetrics } from "./metrics.ts";
export { ApiKeys, ApiKeyFileError, UnauthorizedError } from "./auth.ts";
export { CorsOriginError, parseCorsOrigins } from "./cors.ts";
