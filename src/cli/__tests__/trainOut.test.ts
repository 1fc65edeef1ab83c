import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliContext } from '../command';
import { UsageError } from '../command';
import { train } from '../commands/train';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-train-out-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const ctx: CliContext = { json: true, progress: () => {}, services: () => { throw new Error('not reached'); } };
/** Runs `cxr train --out <out>` with no data: past the --out check it stops at the missing --data. */
const run = (out: string, extra: Record<string, unknown> = {}) => train.run(ctx, { out, resume: false, force: false, ...extra }, []);

describe('cxr train --out', () => {
  it('refuses a non-empty folder that is not a model folder, and leaves its files alone', async () => {
    const out = path.join(dir, 'documents');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'thesis.docx'), 'years of work');
    const err = await run(out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `--out: ${out} is not empty and is not a model folder (no model.json or card.json); the trained model would replace its 1 entry; choose another folder, or give --force to replace it`,
    );
    expect(fs.readFileSync(path.join(out, 'thesis.docx'), 'utf8')).toBe('years of work');
  });

  it('refuses a file given as the folder', async () => {
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'x');
    await expect(run(file)).rejects.toThrow(/^--out: .*notes\.txt exists and is not a folder/);
  });

  it('takes an absent, an empty or a model folder, and a non-empty one with --force', async () => {
    const model = path.join(dir, 'model');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'model.json'), '{}');
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'a.txt'), 'a');
    for (const [out, extra] of [[path.join(dir, 'absent'), {}], [empty, {}], [model, {}], [other, { force: true }]] as const) {
      // Past the --out check, the next complaint is the missing training data.
      await expect(run(out, extra)).rejects.toThrow(/--data|data/);
      await expect(run(out, extra)).rejects.not.toThrow(/^--out:/);
    }
  });
});
