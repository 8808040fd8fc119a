export { createLogger, silentLogger, type Logger } from "./logger.ts";
export {
  exposition,
  families,
  labelNameProblem,
  METRIC_NAME_PATTERN,
  PROMETHEUS_CONTENT_TYPE,
  type MetricFamily,
} from "./metrics.ts";
