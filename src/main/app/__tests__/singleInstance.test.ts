import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { instanceDecision } from '../singleInstance';

describe('a second instance of the app', () => {
  it('runs when it holds the single-instance lock', () => {
    expect(instanceDecision(true, '/data')).toEqual({ run: true });
  });

  it('is refused with a message naming the data folder when another holds it', () => {
    const d = instanceDecision(false, '/home/u/.config/cxr-triage');
    expect(d.run).toBe(false);
    if (d.run) return;
    expect(d.title).toBe('CXR Triage is already running');
    expect(d.message).toMatch(/^CXR Triage is already open on the data folder \/home\/u\/\.config\/cxr-triage\. Use that window/);
  });

  it('is wired into the app start: the lock is asked before anything opens the catalog', () => {
    const src = fs.readFileSync(path.join(__dirname, '..', 'index.ts'), 'utf8');
    const lock = src.indexOf('app.requestSingleInstanceLock()');
    expect(lock).toBeGreaterThan(0);
    expect(lock).toBeLessThan(src.indexOf('createServices('));
    expect(src).toMatch(/app\.on\('second-instance'/);
  });
});
