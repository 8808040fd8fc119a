import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/** Options for the root logger; made once in `cli/` and passed down as `logger.child({module})`. */
export interface LoggerSettings {
  /** @default "info" */
  level?: string;
  /** Where JSON lines go. @default process.stdout (file descriptor 1) */
  destination?: NodeJS.WritableStream | number;
}

/** Headers and fields that must never reach a log line. */
const REDACT = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
  "*.password",
  "*.token",
];

/** Builds the root pino logger: JSON to stdout, ISO timestamps, secrets redacted. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: "[redacted]" },
    formatters: { level: (label) => ({ level: label }) },
  };
  const destination = settings.destination ?? 1;
  const stream = typeof destination === "number" ? pino.destination({ dest: destination, sync: false }) : destination;
  return pino(options, stream);
}

/** A logger that drops everything; for unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
