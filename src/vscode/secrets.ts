import type * as vscode from 'vscode';
import type { ConnectionConfig } from '../core/connectionConfig';

/** Passwords and keys live in the OS secret store, keyed by connection name; never in settings or logs. */
const keyOf = (name: string) => `workerLens.secret.${name}`;

export class Secrets {
  constructor(private readonly store: vscode.SecretStorage) {}

  /** The connection's secret: its `secretEnv` variable first (CI, shared machines), then the secret store. */
  async get(conn: ConnectionConfig): Promise<string | undefined> {
    if (conn.secretEnv) {
      const v = process.env[conn.secretEnv];
      if (v) return v;
    }
    return (await this.store.get(keyOf(conn.name))) || undefined;
  }

  set(name: string, secret: string): Thenable<void> {
    return this.store.store(keyOf(name), secret);
  }

  delete(name: string): Thenable<void> {
    return this.store.delete(keyOf(name));
  }
}
