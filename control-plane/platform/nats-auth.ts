import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { inboxPrefix, serverUser, type NatsRole } from "../jobs/index.ts";
import type { NatsCredentials } from "./nats-connect.ts";

/**
 * How a process proves who it is to the nats-server glia started: an NKey seed file (0600; the
 * server's configuration holds only the public key) and the inbox prefix its permissions allow.
 * It is the credentials `connectNats` takes, as they are.
 */
export type NatsIdentity = Required<NatsCredentials>;

interface Entry {
  role: NatsRole;
  publicKey: string;
  identity: NatsIdentity;
}

/**
 * The users of a nats-server glia starts: one NKey per role (the platform, gateways, the CLI, and
 * one per API's worker), each with only the permissions its role needs (see jobs/permissions.ts).
 * Keys are made anew at every start; seeds are kept in a 0700 folder as 0600 files, never on a
 * command line or in a log, and the server's configuration holds public keys only.
 */
export class LocalNatsAuth {
  readonly #dir: string;
  readonly #entries = new Map<string, Entry>();

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Makes the platform's, the gateways' and the CLI's identities in `dir` (emptied first). */
  static async create(dir: string): Promise<LocalNatsAuth> {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const auth = new LocalNatsAuth(dir);
    for (const kind of ["platform", "gateway", "cli"] as const) await auth.#add({ kind });
    return auth;
  }

  identity(role: NatsRole): NatsIdentity {
    const entry = this.#entries.get(roleName(role));
    if (!entry) throw new Error(`no NATS identity for ${roleName(role)}`);
    return entry.identity;
  }

  /** The identity of one API's worker, made on first use; the server must then be reloaded. */
  async worker(api: string): Promise<{ identity: NatsIdentity; added: boolean }> {
    const role: NatsRole = { kind: "worker", api };
    const existing = this.#entries.get(roleName(role));
    if (existing) return { identity: existing.identity, added: false };
    return { identity: (await this.#add(role)).identity, added: true };
  }

  /** Forgets a deleted API's worker; the server must then be reloaded. */
  async removeWorker(api: string): Promise<boolean> {
    const name = roleName({ kind: "worker", api });
    const entry = this.#entries.get(name);
    if (!entry) return false;
    this.#entries.delete(name);
    await rm(entry.identity.nkeyFile, { force: true });
    return true;
  }

  /** The nats-server `authorization` block: every identity's public key and permissions. */
  authorization(): string {
    const users = [...this.#entries.values()].map((e) => `    ${userEntry(e.publicKey, e.role)}`);
    return `authorization {\n  users = [\n${users.join("\n")}\n  ]\n}`;
  }

  async #add(role: NatsRole): Promise<Entry> {
    const pair = nkeys.createUser();
    const nkeyFile = join(this.#dir, `${roleName(role)}.nk`);
    await writeFile(nkeyFile, `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600 });
    const entry = { role, publicKey: pair.getPublicKey(), identity: { nkeyFile, inboxPrefix: inboxPrefix(role) } };
    this.#entries.set(roleName(role), entry);
    return entry;
  }
}

function roleName(role: NatsRole): string {
  return role.kind === "worker" ? `worker-${role.api}` : role.kind;
}

/** One user of the configuration, as JSON: subjects are quoted, so `$JS…` is taken as written. */
function userEntry(publicKey: string, role: NatsRole): string {
  return JSON.stringify(serverUser(publicKey, role));
}
