export { Child, startChild, type ChildOptions } from "./child.ts";
export { Supervisor } from "./supervisor.ts";
export { ChildExitedError, ChildNotReadyError, ChildSpawnError, describeExit } from "./errors.ts";
