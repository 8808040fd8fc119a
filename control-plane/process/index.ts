export { Child, startChild, type ChildOptions } from "./child.ts";
export { Supervisor, DEFAULT_BACKOFF, type Backoff, type SupervisorOptions } from "./supervisor.ts";
export { ChildExitedError, ChildNotReadyError, ChildSpawnError, describeExit, type ExitStatus } from "./errors.ts";
