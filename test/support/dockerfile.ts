/**
 * @module
 * A small Dockerfile reader for the image tests, covering what glia's Dockerfiles use: comments,
 * `\` continuations, exec (JSON) and shell forms, `--flag=value` options, `ARG`/`ENV` with `${X}`
 * substitution, and stages. It does not implement heredocs, `# escape=` or ONBUILD; a Dockerfile
 * that uses them fails to parse loudly rather than being read wrongly.
 */

/** One instruction, continuation lines joined. */
export interface Instruction {
  /** Upper-case, e.g. `COPY`. */
  keyword: string;
  /** The text after the keyword, as written (variables not expanded). */
  args: string;
  /** Line number (1-based) of its first line. */
  line: number;
  /** The comment lines directly above it, without their `#`. */
  comments: string[];
}

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let comments: string[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trimEnd();
    const trimmed = line.trim();
    if (trimmed.startsWith("#")) {
      if (!pending) comments.push(trimmed.slice(1).trim());
      return; // a comment inside a continuation is dropped, as Docker does
    }
    if (trimmed === "") {
      if (!pending) comments = [];
      return;
    }
    const joined = pending ? `${pending.text} ${trimmed}` : trimmed;
    const start = pending?.line ?? index + 1;
    if (line.endsWith("\\")) {
      pending = { text: joined.slice(0, -1).trimEnd(), line: start };
      return;
    }
    pending = null;
    const match = /^([A-Za-z]+)\s*(.*)$/.exec(joined);
    if (!match) throw new Error(`line ${start}: not an instruction: ${joined}`);
    const keyword = match[1]!.toUpperCase();
    if (["ONBUILD"].includes(keyword) || joined.includes("<<"))
      throw new Error(`line ${start}: unsupported: ${joined}`);
    instructions.push({ keyword, args: match[2]!, line: start, comments });
    comments = [];
  });
  if (pending) throw new Error("the file ends inside a continuation line");
  return instructions;
}

/** The exec form's array, or null for the shell form. */
export function execForm(args: string): string[] | null {
  if (!args.trimStart().startsWith("[")) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === "string")) throw new Error(`bad exec form: ${args}`);
  return parsed;
}

/** `--name=value` options at the start of `args`, and the rest split on blanks. */
export function splitFlags(args: string): { flags: Map<string, string>; rest: string[] } {
  const words = args.split(/\s+/).filter(Boolean);
  const flags = new Map<string, string>();
  while (words[0]?.startsWith("--")) {
    const [name, value = ""] = words.shift()!.slice(2).split(/=(.*)/s);
    flags.set(name!, value);
  }
  return { flags, rest: words };
}

/** `NAME=value` pairs (ENV, ARG); `ARG NAME` gives `[NAME, undefined]`. */
export function assignments(args: string): Array<[string, string | undefined]> {
  const words = shellWords(args).filter((t) => t.kind === "word");
  if (words.length === 2 && !words[0]!.text.includes("=")) return [[words[0]!.text, words[1]!.text]]; // ENV K V
  return words.map((w) => {
    const at = w.text.indexOf("=");
    return at < 0 ? [w.text, undefined] : [w.text.slice(0, at), w.text.slice(at + 1)];
  });
}

/** `${NAME}` and `$NAME` from `vars`; unknown or `${X%…}`-style references stay as written. */
export function expand(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const value = vars.get((braced ?? bare)!);
    return value ?? whole;
  });
}

export interface Token {
  kind: "word" | "op";
  text: string;
}

/** Shell words and the operators between commands (`&&`, `||`, `;`, `|`, `(`, `)`), quotes removed. */
export function shellWords(script: string): Token[] {
  const tokens: Token[] = [];
  let word: string | null = null;
  const flush = (): void => {
    if (word !== null) tokens.push({ kind: "word", text: word });
    word = null;
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === "'" || c === '"') {
      const end = script.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed quote in: ${script}`);
      word = (word ?? "") + script.slice(i + 1, end);
      i = end;
    } else if (c === "\\") {
      word = (word ?? "") + (script[++i] ?? "");
    } else if (/\s/.test(c)) {
      flush();
    } else if (c === ">" || c === "<") {
      flush(); // a redirection (`>&2`, `2>/dev/null`): not a word of the command
      while ("&>0123456789".includes(script[i + 1] ?? " ")) i++;
    } else if ("&|;()".includes(c)) {
      flush();
      const double = (c === "&" || c === "|") && script[i + 1] === c;
      tokens.push({ kind: "op", text: double ? c + c : c });
      if (double) i++;
    } else {
      word = (word ?? "") + c;
    }
  }
  flush();
  return tokens;
}

/** The simple commands of a shell script: words, with leading `NAME=value` assignments dropped. */
export function simpleCommands(script: string): string[][] {
  const commands: string[][] = [[]];
  for (const token of shellWords(script)) {
    if (token.kind === "op") commands.push([]);
    else commands.at(-1)!.push(token.text);
  }
  return commands
    .map((words) => {
      while (words[0] !== undefined && /^\w+=/.test(words[0])) words.shift();
      return words;
    })
    .filter((words) => words.length > 0);
}

/** One `FROM … [AS name]` and what follows it. */
export interface Stage {
  name: string | null;
  /** The image (variables expanded) or the earlier stage it starts from. */
  from: string;
  instructions: Instruction[];
}

export interface Stages {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

/** Splits a Dockerfile into stages, expanding global ARGs in FROM lines as Docker does. */
export function stagesOf(instructions: Instruction[]): Stages {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const [image, as, name] = expand(instruction.args, globalArgs).split(/\s+/);
      if (as !== undefined && as.toUpperCase() !== "AS") throw new Error(`line ${instruction.line}: bad FROM`);
      stages.push({ name: name ?? null, from: image!, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== "ARG") throw new Error(`line ${instruction.line}: only ARG may come before FROM`);
      for (const [key, value] of assignments(instruction.args)) globalArgs.set(key, expand(value ?? "", globalArgs));
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}
