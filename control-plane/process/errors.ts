import { GliaError } from "../errors.ts";

/** How a child process ended: its exit status, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** "exited with status 3" or "was killed by SIGKILL". */
export function describeExit(status: ExitStatus): string {
  return status.signal ? `was killed by ${status.signal}` : `exited with status ${status.code}`;
}

/** The command could not be started at all (not found, not executable, a uid this process may not take). */
export class ChildSpawnError extends GliaError {
  readonly command: string;

  constructor(command: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException | undefined)?.code ?? (cause as Error | undefined)?.message;
    super("CHILD_SPAWN_FAILED", `${command} could not be started (${reason})`, { cause });
    this.command = command;
  }

  /** The system's error code, e.g. `ENOENT` for a command that is not there. */
  get errno(): string | undefined {
    return (this.cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** The child ended before its readiness check passed; callers turn the status into their own error. */
export class ChildExitedError extends GliaError {
  readonly command: string;
  readonly status: ExitStatus;

  constructor(command: string, status: ExitStatus) {
    super("CHILD_EXITED", `${command} ${describeExit(status)} before it was ready`);
    this.command = command;
    this.status = status;
  }
}

/** The readiness check did not pass within `readyTimeoutMs`; the child has been killed. */
export class ChildNotReadyError extends GliaError {
  readonly command: string;
  readonly timeoutMs: number;

  constructor(command: string, timeoutMs: number) {
    super("CHILD_NOT_READY", `${command} was not ready after ${timeoutMs / 1000} s`);
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}
