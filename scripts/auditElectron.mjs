#!/usr/bin/env node
/**
 * `npm run audit:electron`: Doyensec's electronegativity over src/, for the Electron version we
 * ship. A finding passes only if it is listed in ACCEPTED below with the reason the README's
 * checklist section gives; anything new fails the run (exit 1). Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const electronVersion = require(path.join(root, 'package.json')).devDependencies.electron.replace(/^[^\d]*/, '');

/** issue@file: why it stays open (README, "Electron security checklist"). */
const ACCEPTED = {
  'CONTEXT_ISOLATION_JS_CHECK@src/main/index.ts':
    'the options come from windowOptions() (contextIsolation: true), which the static scan cannot follow; windowChecklist.test.ts guards it',
  'SANDBOX_JS_CHECK@src/main/index.ts':
    'sandbox: true comes from windowOptions() and app.enableSandbox(); windowChecklist.test.ts guards it',
  'NODE_INTEGRATION_JS_CHECK@src/main/index.ts':
    'nodeIntegration: false comes from windowOptions(); windowChecklist.test.ts guards it',
  'AUXCLICK_JS_CHECK@src/main/index.ts':
    'a middle click can only ask for a new window, and setWindowOpenHandler denies every one; windowChecklist.test.ts guards it',
  'REMOTE_MODULE_JS_CHECK@src/main/index.ts': 'the remote module is gone from Electron since 14; the scan assumes an old version when it cannot tell',
  'CSP_GLOBAL_CHECK@src/renderer/index.html':
    "style-src allows 'unsafe-inline' for Vue's style bindings; scripts stay 'self' only (windowChecklist.test.ts)",
};

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'electronegativity-')), 'findings.csv');
const bin = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'electronegativity.cmd' : 'electronegativity');
const started = Date.now();
execFileSync(bin, ['-i', path.join(root, 'src'), '-e', electronVersion, '-r', '-o', out], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });

/** Minimal CSV reader: quoted fields with "" escapes. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field.trim());
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field.trim());
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field.trim()]);
  return rows;
}

const [header, ...rows] = parseCsv(fs.readFileSync(out, 'utf8'));
const col = (name) => header.findIndex((h) => h.trim().toLowerCase() === name);
const findings = rows.map((r) => {
  const file = path.relative(root, path.resolve(root, 'src', r[col('filename')])).split(path.sep).join('/');
  return { issue: r[col('issue')], severity: r[col('severity')], file, location: r[col('location')] };
});
const open = findings.filter((f) => !ACCEPTED[`${f.issue}@${f.file}`]);
const accepted = findings.filter((f) => ACCEPTED[`${f.issue}@${f.file}`]).map((f) => ({ ...f, why: ACCEPTED[`${f.issue}@${f.file}`] }));
process.stdout.write(`${JSON.stringify({ electronVersion, findings: findings.length, accepted, open, seconds: (Date.now() - started) / 1000 })}\n`);
if (open.length > 0) {
  for (const f of open) process.stderr.write(`electronegativity: unexplained finding ${f.issue} (${f.severity}) at ${f.file}:${f.location}\n`);
  process.exit(1);
}
