/**
 * A real Orthanc (Debian's `orthanc` + `orthanc-dicomweb`) for the PACS tests and the benchmark:
 * random free HTTP and DICOM ports, storage in a temp folder, the DICOMweb plugin, stopped by
 * `stop()`. Only the loopback interface is ever talked to.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const PLUGIN_CANDIDATES = [
  '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
  '/usr/lib/orthanc/libOrthancDicomWeb.so',
  '/usr/local/share/orthanc/plugins/libOrthancDicomWeb.so',
];

/** Where the binary and the DICOMweb plugin are, or why they are not (a skipped test prints it). */
export function orthancAvailability(): { ok: true; binary: string; plugin: string } | { ok: false; reason: string } {
  const which = spawnSync('sh', ['-c', 'command -v Orthanc || ls /usr/sbin/Orthanc'], { encoding: 'utf8' });
  const binary = which.stdout.trim().split('\n')[0];
  if (!binary) return { ok: false, reason: 'Orthanc is not installed (apt-get install orthanc orthanc-dicomweb; scripts/install.sh does it)' };
  let plugin = PLUGIN_CANDIDATES.find((p) => fs.existsSync(p));
  if (!plugin) {
    const listed = spawnSync('dpkg', ['-L', 'orthanc-dicomweb'], { encoding: 'utf8' }).stdout ?? '';
    plugin = listed.split('\n').find((l) => /libOrthancDicomWeb\.so/.test(l) && fs.existsSync(l));
  }
  if (!plugin) return { ok: false, reason: 'the Orthanc DICOMweb plugin is not installed (apt-get install orthanc-dicomweb)' };
  return { ok: true, binary, plugin };
}

export function dcmtkAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v storescu && command -v dsrdump'], { encoding: 'utf8' }).status === 0;
}

/** A port nothing listens on right now (bind to 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface OrthancOptions {
  /** Basic-auth users; with any, Orthanc answers 401 without credentials. */
  users?: Record<string, string>;
  aet?: string;
  /** DICOM peers Orthanc may C-STORE to (name → [AET, host, port]). */
  modalities?: Record<string, [string, string, number]>;
}

export interface Orthanc {
  httpPort: number;
  dicomPort: number;
  aet: string;
  /** http://127.0.0.1:<port> */
  url: string;
  /** The DICOMweb root: <url>/dicom-web */
  dicomweb: string;
  /** Fetch against the REST API, with the basic credentials if any. */
  rest(pathname: string, init?: RequestInit): Promise<Response>;
  /** Uploads Part 10 files through POST /instances; returns each file's Orthanc status. */
  upload(files: string[]): Promise<{ file: string; status: string; id: string }[]>;
  uploadBytes(bytes: Uint8Array): Promise<{ status: string; id: string }>;
  stop(): Promise<void>;
  log(): string;
}

export async function startOrthanc(opts: OrthancOptions = {}): Promise<Orthanc> {
  const avail = orthancAvailability();
  if (!avail.ok) throw new Error(avail.reason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-orthanc-'));
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const aet = opts.aet ?? 'ORTHANCTEST';
  const users = opts.users ?? {};
  const config = {
    Name: 'cxr-test',
    StorageDirectory: path.join(dir, 'db'),
    IndexDirectory: path.join(dir, 'db'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: aet,
    DicomServerEnabled: true,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowEcho: true,
    DicomModalities: opts.modalities ?? {},
    RemoteAccessAllowed: false,
    AuthenticationEnabled: Object.keys(users).length > 0,
    RegisteredUsers: users,
    Plugins: [avail.plugin],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Host: '127.0.0.1', Ssl: false },
    StableAge: 1,
    SaveJobs: false,
    HttpThreadsCount: 8,
    DicomThreadsCount: 2,
    ConcurrentJobs: 1,
    LogExportedResources: false,
  };
  fs.writeFileSync(path.join(dir, 'orthanc.json'), JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(avail.binary, [path.join(dir, 'orthanc.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${httpPort}`;
  const auth = Object.entries(users)[0];
  const authHeader: Record<string, string> = auth ? { Authorization: `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64')}` } : {};
  const rest = (pathname: string, init: RequestInit = {}) =>
    fetch(`${url}${pathname}`, { ...init, headers: { ...authHeader, ...(init.headers as Record<string, string> | undefined) } });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`Orthanc exited during start-up:\n${log.slice(-3000)}`);
    try {
      const r = await rest('/system');
      if (r.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Orthanc did not answer on ${url} within 30 s:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }

  const uploadBytes = async (bytes: Uint8Array) => {
    const r = await rest('/instances', { method: 'POST', body: bytes as unknown as ArrayBuffer, headers: { 'Content-Type': 'application/dicom' } });
    if (!r.ok) throw new Error(`Orthanc refused an upload: HTTP ${r.status} ${await r.text()}`);
    const j = (await r.json()) as { Status: string; ID: string };
    return { status: j.Status, id: j.ID };
  };
  return {
    httpPort,
    dicomPort,
    aet,
    url,
    dicomweb: `${url}/dicom-web`,
    rest,
    uploadBytes,
    async upload(files) {
      const out: { file: string; status: string; id: string }[] = [];
      for (const file of files) out.push({ file, ...(await uploadBytes(fs.readFileSync(file))) });
      return out;
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
    log: () => log,
  };
}
