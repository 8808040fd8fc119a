export {
  createGatewayApp,
  createInternalApp,
  DEFAULT_MAX_BODY_BYTES,
  type GatewayOptions,
  type NotReady,
  type Readiness,
} from "./app.ts";
export { QueueIntake } from "./intake.ts";
export type {
  LargeResult,
  NewRequest,
  QueueDepth,
  RecordReader,
  RecordWaiter,
  RequestIntake,
  Routes,
} from "./ports.ts";
export { RouteTable, type ApiRoute } from "./routes.ts";
export { checkPayload } from "./payload-check.ts";
export { BodyBudget, DEFAULT_MAX_BODY_MEMORY_BYTES } from "./body-budget.ts";
export { GatewayMetrics } from "./metrics.ts";
export { ApiKeys } from "./auth.ts";
export { parseCorsOrigins } from "./cors.ts";
