export { createLogger, silentLogger, type Logger, type LoggerSettings } from "./logger.ts";
