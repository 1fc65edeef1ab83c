/**
 * A misbehaving PACS for the bad-input tests: a proxy in front of the real Orthanc that, by mode,
 * answers slowly, cuts a WADO-RS answer mid-transfer, breaks its multipart framing, or cuts the
 * DICOM inside a well-framed part. Orthanc itself cannot be made to misbehave so; everything else
 * is Orthanc's real answer. Listens on 127.0.0.1 only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode = 'pass' | 'slow' | 'cut-connection' | 'broken-multipart' | 'truncated-instance' | 'html' | 'cut-first';

export interface FaultyPacs {
  url: string;
  mode: FaultMode;
  /** Only WADO-RS instance answers misbehave; QIDO passes (so a retrieve gets as far as the instances). */
  close(): Promise<void>;
}

export async function startFaultyPacs(upstream: string): Promise<FaultyPacs> {
  const state: FaultyPacs = { url: '', mode: 'pass', close: async () => {} };
  const cutOnce = new Set<string>();
  const server = http.createServer(async (req, res) => {
    const isInstance = /\/instances\/[\d.]+$/.test(req.url ?? '');
    if (state.mode === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to the hospital intranet</body></html>');
      return;
    }
    if (state.mode === 'slow') await new Promise((r) => setTimeout(r, 3000));
    let up: Response;
    try {
      up = await fetch(`${upstream}${req.url}`, { method: req.method, headers: { accept: String(req.headers.accept ?? '*/*') } });
    } catch {
      res.destroy();
      return;
    }
    const body = Buffer.from(await up.arrayBuffer());
    const type = up.headers.get('content-type') ?? 'application/octet-stream';
    if (!isInstance || state.mode === 'pass' || state.mode === 'slow') {
      if (res.destroyed) return;
      res.writeHead(up.status, { 'content-type': type, 'content-length': body.length }).end(body);
      return;
    }
    // cut-first: each instance's first answer is cut (a transient network fault), the next one whole.
    const cutNow = state.mode === 'cut-connection' || (state.mode === 'cut-first' && !cutOnce.has(req.url!) && cutOnce.add(req.url!));
    if (state.mode === 'cut-first' && !cutNow) {
      res.writeHead(up.status, { 'content-type': type, 'content-length': body.length }).end(body);
      return;
    }
    if (cutNow) {
      res.writeHead(200, { 'content-type': type, 'content-length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 3)), () => res.destroy());
      return;
    }
    if (state.mode === 'broken-multipart') {
      // The bytes of the instance without any multipart envelope, still labelled multipart/related.
      const start = body.indexOf('DICM') - 128;
      const raw = body.subarray(Math.max(0, start));
      const noBoundary = Buffer.from(raw.toString('latin1').replace(/\r\n--/g, '\r\n- ').replace(/\r\n\r\n/g, '\r\n \r\n'), 'latin1');
      res.writeHead(200, { 'content-type': type, 'content-length': noBoundary.length }).end(noBoundary);
      return;
    }
    // truncated-instance: keep the envelope, drop the second half of the DICOM inside it.
    const sep = body.indexOf('\r\n\r\n') + 4;
    const end = body.lastIndexOf('\r\n--');
    const dicom = body.subarray(sep, end);
    const cut = Buffer.concat([body.subarray(0, sep), dicom.subarray(0, Math.floor(dicom.length / 2)), body.subarray(end)]);
    res.writeHead(200, { 'content-type': type, 'content-length': cut.length }).end(cut);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
