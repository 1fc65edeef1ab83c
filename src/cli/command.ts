import type { ParseArgsConfig } from 'node:util';
import path from 'node:path';
import { createServices, defaultDataDir, type Services } from '../main/services/services';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CliContext {
  /** Progress and human-readable notes: stderr, so stdout stays one JSON object under --json. */
  progress(message: string): void;
  json: boolean;
  /** Opens the services over --db / --data-dir on first use. */
  services(): Services;
}

export interface Command {
  summary: string;
  usage: string;
  options: OptionSpec;
  /** Returns the command's result: printed as JSON under --json, else by `print`. */
  run(ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<unknown>;
  print?(result: unknown): string;
  /** The exit status for a result (default 0): a command whose work failed says so to scripts. */
  exitCode?(result: unknown): number;
}

/** Options every command takes. */
export const commonOptions: OptionSpec = {
  json: { type: 'boolean', default: false },
  db: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
};

export function servicesFrom(values: Record<string, unknown>): Services {
  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : defaultDataDir();
  const catalogPath = typeof values.db === 'string' ? path.resolve(values.db) : undefined;
  return createServices({ dataDir, catalogPath });
}

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
