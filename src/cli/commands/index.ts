import type { Command } from '../command';
import { train } from './train';
import { evalCommand } from './eval';
import { importCommand } from './import';
import { predict } from './predict';
import { calibrate } from './calibrate';
import { pacsCommand } from './pacs';

/**
 * The commands other than `info`. Each lives in its own file beside this one; add it here.
 * import, predict, train and eval are filled in by the import and model work.
 */
export const commands: Record<string, Command> = { train, eval: evalCommand, import: importCommand, predict, calibrate, pacs: pacsCommand };
