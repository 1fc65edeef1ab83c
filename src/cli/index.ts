#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { commonOptions, servicesFrom, UsageError, type CliContext, type Command } from './command';
import { info } from './commands/info';
import { commands as registered } from './commands';

const commands: Record<string, Command> = { ...registered, info };

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return [
    'cxr: CXR Triage on the command line (research use only, not a diagnostic device)',
    '',
    'Usage: npm run cxr -- <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options: --json (one JSON object as the last line of stdout; progress on stderr),',
    '                --db <file> (the SQLite catalog), --data-dir <dir>, --help',
    "Run 'npm run cxr -- <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`cxr: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: { ...commonOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`cxr ${name}: ${(err as Error).message}\nUsage: ${command.usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${command.summary}\nUsage: ${command.usage}\n`);
    return 0;
  }
  const json = Boolean(values.json);
  let services: ReturnType<typeof servicesFrom> | undefined;
  const ctx: CliContext = {
    json,
    progress: (m) => process.stderr.write(`${m}\n`),
    services: () => (services ??= servicesFrom(values)),
  };
  try {
    const result = await command.run(ctx, values, positionals);
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${command.print ? command.print(result) : JSON.stringify(result, null, 2)}\n`);
    return command.exitCode?.(result) ?? 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof UsageError) {
      process.stderr.write(`cxr ${name}: ${message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    if (json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    process.stderr.write(`cxr ${name}: ${message}\n`);
    return 1;
  } finally {
    await services?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`cxr: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
