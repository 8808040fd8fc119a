export { createLogger, silentLogger, type Logger, type LoggerSettings } from "./logger.ts";
export { exposition, families, PROMETHEUS_CONTENT_TYPE, type MetricFamily } from "./metrics.ts";
