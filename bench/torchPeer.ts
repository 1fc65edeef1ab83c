/**
 * Runs the PyTorch peer (bench/torchPeer.py) under Debian's python3-torch: the interpreter is the
 * first of CXR_TORCH_PYTHON, /usr/bin/python3 (where Debian's python3-torch installs; a pyenv
 * `python3` earlier on PATH would not see it) and `python3` that can import torch. Where none can,
 * the reason comes back instead, so the bench and the test skip the peer and say why.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./torchPeer.py', import.meta.url));

export type TorchPython = { python: string; version: string } | { python: null; reason: string };

let found: TorchPython | undefined;

export function findTorchPython(env: NodeJS.ProcessEnv = process.env): TorchPython {
  if (found) return found;
  if (!fs.existsSync(SCRIPT)) return (found = { python: null, reason: `${SCRIPT} is not there (a bundled bench carries no peer)` });
  const candidates = [env.CXR_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => Boolean(c));
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return (found = { python, version: r.stdout.trim() });
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return (found = { python: null, reason: `PyTorch not importable (install Debian's python3-torch: scripts/install.sh); tried ${tried.join('; ')}` });
}

/** Runs torchPeer.py with `args` and parses the JSON object on its last stdout line. */
export function runTorchPeer<T>(python: string, args: string[], timeoutMs = 30 * 60_000): T {
  const r = spawnSync(python, [SCRIPT, ...args], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`torchPeer.py ${args.join(' ')} failed: ${r.error?.message ?? `exit ${r.status}`}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`torchPeer.py ${args.join(' ')} printed no JSON line: ${last.slice(0, 200)}`);
  }
}
