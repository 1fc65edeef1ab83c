/**
 * The DIMSE side towards the configured peer (dcmjs-dimse as SCU): C-ECHO for the connection
 * test and C-STORE for sending results. Each call is one association, ended before it returns.
 */
import { dcmjs, dimse } from './dcmjsModules';
import { PacsError } from './pacsError';

const { Client, Dataset } = dimse;
const { CEchoRequest, CStoreRequest } = dimse.requests;
const { Status } = dimse.constants;

export interface DimsePeer {
  aet: string;
  host: string;
  port: number;
}

export const describePeer = (p: DimsePeer) => `${p.aet}@${p.host}:${p.port}`;

function networkFailure(peer: DimsePeer, err: unknown, what: string): PacsError {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const at = `${what} to ${describePeer(peer)}`;
  if (code === 'ECONNREFUSED') return new PacsError('refused', `${at} failed: connection refused (nothing listens on that port)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new PacsError('dns', `${at} failed: host name not found (${code})`);
  if (code === 'ETIMEDOUT' || /timeout/i.test(String((err as Error)?.message))) return new PacsError('timeout', `${at} failed: no answer in time`);
  return new PacsError('network', `${at} failed: ${code || (err instanceof Error ? err.message : String(err))}`);
}

/** Runs the requests over one association; resolves with each response's status, in order. */
async function associate(
  localAet: string,
  peer: DimsePeer,
  requests: InstanceType<typeof CEchoRequest | typeof CStoreRequest>[],
  what: string,
  timeoutMs: number,
): Promise<number[]> {
  const client = new Client();
  const statuses: (number | undefined)[] = requests.map(() => undefined);
  requests.forEach((r, i) => {
    r.on('response', (res: { getStatus(): number }) => (statuses[i] = res.getStatus()));
    client.addRequest(r);
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    client.on('associationRejected', (r: { result: number; source: number; reason: number }) =>
      finish(() => reject(new PacsError('rejected', `${what} to ${describePeer(peer)}: the peer rejected the association (reason ${r.reason}; check its AE title and that it knows ours, "${localAet}")`))),
    );
    client.on('networkError', (e: Error) => finish(() => reject(networkFailure(peer, e, what))));
    client.on('closed', () =>
      finish(() => {
        if (statuses.some((s) => s === undefined)) reject(new PacsError('reset', `${what} to ${describePeer(peer)}: the association ended before every answer came`));
        else resolve(statuses as number[]);
      }),
    );
    client.send(peer.host, peer.port, localAet, peer.aet, { connectTimeout: timeoutMs, associationTimeout: timeoutMs, pduTimeout: timeoutMs });
  });
}

export async function cEcho(localAet: string, peer: DimsePeer, timeoutMs: number): Promise<void> {
  const [status] = await associate(localAet, peer, [new CEchoRequest()], 'C-ECHO', timeoutMs);
  if (status !== Status.Success) throw new PacsError('rejected', `C-ECHO to ${describePeer(peer)} answered status 0x${status!.toString(16)}`);
}

/** C-STOREs Part 10 objects; returns the failed ones' SOP Instance UIDs with their status. */
export async function cStore(localAet: string, peer: DimsePeer, objects: { bytes: Uint8Array; sopInstanceUid: string }[], timeoutMs: number): Promise<{ failed: { sopInstanceUid: string; status: number }[] }> {
  const requests = objects.map((o) => {
    const dict = dcmjs.data.DicomMessage.readFile(o.bytes.buffer.slice(o.bytes.byteOffset, o.bytes.byteOffset + o.bytes.byteLength) as ArrayBuffer);
    const ts = (dict.meta['00020010'] as { Value?: string[] } | undefined)?.Value?.[0];
    return new CStoreRequest(new Dataset(dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict), ts));
  });
  const statuses = await associate(localAet, peer, requests, 'C-STORE', timeoutMs);
  // 0xB000-0xB007 are warnings (stored, with coercion); anything else non-zero failed.
  const failed = statuses.flatMap((st, i) => (st === Status.Success || (st & 0xf000) === 0xb000 ? [] : [{ sopInstanceUid: objects[i]!.sopInstanceUid, status: st }]));
  return { failed };
}
