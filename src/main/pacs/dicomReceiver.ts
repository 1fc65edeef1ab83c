/**
 * The DICOM receiver: a C-STORE SCP (dcmjs-dimse) that a modality or PACS routes chest films to.
 * It accepts Verification and the CR, DX and Secondary Capture storage classes in every transfer
 * syntax import decodes, writes each instance to the inbox as it arrives (never whole in memory),
 * and hands an association's files on for import when it ends. Off unless enabled in Settings.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { SUPPORTED_TRANSFER_SYNTAXES } from '../imaging/dicom/transferSyntax';
import { dimse } from './dcmjsModules';
import { part10Header } from './part10Header';
import { PacsError } from './pacsError';
import { instanceFileName } from './inbox';

const { Server, Scp, Dataset } = dimse;
const { CEchoResponse, CStoreResponse } = dimse.responses;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason } = dimse.constants;

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
/** CR, DX for presentation and for processing, Secondary Capture. */
export const RECEIVED_STORAGE_CLASSES: Record<string, string> = {
  '1.2.840.10008.5.1.4.1.1.1': 'CR Image Storage',
  '1.2.840.10008.5.1.4.1.1.1.1': 'DX Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.1.1.1': 'DX Image Storage - For Processing',
  '1.2.840.10008.5.1.4.1.1.7': 'Secondary Capture Image Storage',
};
const ACCEPTED_SYNTAXES = new Set(SUPPORTED_TRANSFER_SYNTAXES.map((t) => t.uid));
/** C-STORE failure statuses (PS3.4 B.2.3). */
const OUT_OF_RESOURCES = 0xa700;

export interface ReceiverOptions {
  aet: string;
  port: number;
  /** Empty: any calling AE may store. Else only these. */
  allowedCallingAets: string[];
  /** Each association's files go into a new folder under this one. */
  inboxDir: string;
  /** An association ended (released or dropped): its complete files, for import. */
  onAssociationDone(folder: string, files: string[]): void;
  /** PHI-free lines: AE titles, counts, reasons; never patient data. */
  log(level: 'info' | 'warn', message: string): void;
}

interface ReceiverCounters {
  received: number;
  refusedAssociations: number;
}


let associationSeq = 0;

/** The SCP one connection gets; dcmjs-dimse constructs it with the listen options. */
class ReceiverScp extends Scp {
  private readonly opts: ReceiverOptions & { counters: ReceiverCounters };
  private callingAet = '';
  private folder: string | null = null;
  private readonly files: string[] = [];
  /** Finished temp files by SOP Instance UID, waiting for their C-STORE to be answered. */
  private readonly written = new Map<string, { tmp: string; error: string | null }>();
  private ended = false;

  constructor(socket: Socket, opts: { customOptions?: Record<string, unknown> }) {
    super(socket, opts as never);
    this.opts = opts.customOptions!.receiver as ReceiverOptions & { counters: ReceiverCounters };
    socket.once('close', () => this.finish());
  }

  override associationRequested(association: Parameters<InstanceType<typeof Scp>['associationRequested']>[0]): void {
    this.callingAet = association.getCallingAeTitle().trim();
    const called = association.getCalledAeTitle().trim();
    const allowed = this.opts.allowedCallingAets;
    const refuse = (reason: number, why: string) => {
      this.opts.counters.refusedAssociations++;
      this.opts.log('warn', `refused an association from calling AE "${this.callingAet}": ${why}`);
      this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, reason);
    };
    if (called !== this.opts.aet) return refuse(RejectReason.CalledAeNotRecognized, `it called "${called}", this receiver is "${this.opts.aet}"`);
    if (allowed.length > 0 && !allowed.includes(this.callingAet)) return refuse(RejectReason.CallingAeNotRecognized, 'not on the allowed list');
    for (const pc of association.getPresentationContexts()) {
      const ctx = association.getPresentationContext(pc.id);
      const abstract = ctx.getAbstractSyntaxUid();
      if (abstract !== VERIFICATION_SOP_CLASS && !(abstract in RECEIVED_STORAGE_CLASSES)) {
        ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        continue;
      }
      // The sender's order is its preference; take the first one import can decode, as sent.
      const ts = ctx.getTransferSyntaxUids().find((t) => ACCEPTED_SYNTAXES.has(t));
      if (ts) ctx.setResult(PresentationContextResult.Accept, ts);
      else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
    }
    this.sendAssociationAccept();
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
    this.finish();
  }

  override cEchoRequest(request: Parameters<InstanceType<typeof Scp>['cEchoRequest']>[0], callback: (r: InstanceType<typeof CEchoResponse>) => void): void {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  /** The dataset's bytes stream straight into a Part 10 file: preamble and meta first, then as they come. */
  override createStoreWritableStream(
    acceptedPresentationContext: Parameters<InstanceType<typeof Scp>['createStoreWritableStream']>[0],
    request: Parameters<InstanceType<typeof Scp>['createStoreWritableStream']>[1],
  ): Writable {
    this.folder ??= this.newFolder();
    const sop = request.getAffectedSopInstanceUid();
    const tmp = path.join(this.folder, `${instanceFileName(sop)}.part`);
    const out = fs.createWriteStream(tmp, { mode: 0o600 });
    const state = { tmp, error: null as string | null };
    this.written.set(sop, state);
    out.on('error', (err) => (state.error = (err as NodeJS.ErrnoException).code ?? err.message));
    out.write(
      part10Header({
        sopClassUid: request.getAffectedSopClassUid(),
        sopInstanceUid: sop,
        transferSyntaxUid: acceptedPresentationContext.getAcceptedTransferSyntaxUid() ?? '1.2.840.10008.1.2',
        sourceAet: this.callingAet,
      }),
    );
    return out;
  }

  override createDatasetFromStoreWritableStream(
    writable: Writable,
    acceptedPresentationContext: Parameters<InstanceType<typeof Scp>['createDatasetFromStoreWritableStream']>[1],
    callback: (dataset: InstanceType<typeof Dataset>) => void,
  ): void {
    // The file is the dataset; the C-STORE handler only needs to know it is on disk.
    const done = () => callback(new Dataset({}, acceptedPresentationContext.getAcceptedTransferSyntaxUid()));
    if (writable.writableFinished) done();
    else {
      writable.once('finish', done);
      writable.once('error', done);
    }
  }

  override cStoreRequest(request: Parameters<InstanceType<typeof Scp>['cStoreRequest']>[0], callback: (r: InstanceType<typeof CStoreResponse>) => void): void {
    const response = CStoreResponse.fromRequest(request);
    const sop = request.getAffectedSopInstanceUid();
    const state = this.written.get(sop);
    this.written.delete(sop);
    if (!state || state.error) {
      if (state) fs.rmSync(state.tmp, { force: true });
      this.opts.log('warn', `could not store an instance from "${this.callingAet}": ${state?.error ?? 'no data arrived'}`);
      response.setStatus(OUT_OF_RESOURCES);
      callback(response);
      return;
    }
    // Renamed only once whole, so an import never reads a file still being written.
    const final = state.tmp.replace(/\.part$/, '');
    try {
      fs.renameSync(state.tmp, final);
      this.files.push(final);
      this.opts.counters.received++;
      response.setStatus(Status.Success);
    } catch (err) {
      this.opts.log('warn', `could not store an instance from "${this.callingAet}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      response.setStatus(OUT_OF_RESOURCES);
    }
    callback(response);
  }

  private newFolder(): string {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const dir = path.join(this.opts.inboxDir, `${stamp}-${process.pid}-${++associationSeq}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Once per connection: hands the complete files on; half-received ones are removed. */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const s of this.written.values()) fs.rmSync(s.tmp, { force: true });
    this.written.clear();
    if (this.folder && this.files.length > 0) {
      this.opts.log('info', `received ${this.files.length} instance(s) from "${this.callingAet}"`);
      this.opts.onAssociationDone(this.folder, [...this.files]);
    } else if (this.folder) fs.rmSync(this.folder, { recursive: true, force: true });
  }
}

export class DicomReceiver {
  private server: InstanceType<typeof Server> | null = null;
  private readonly counters: ReceiverCounters = { received: 0, refusedAssociations: 0 };
  private boundPort: number | null = null;

  constructor(private readonly opts: ReceiverOptions) {}

  get received(): number {
    return this.counters.received;
  }
  get refusedAssociations(): number {
    return this.counters.refusedAssociations;
  }
  get aet(): string {
    return this.opts.aet;
  }
  get port(): number | null {
    return this.boundPort;
  }

  /** Listens on every interface (modalities reach the workstation over the network); resolves with the port. */
  async start(): Promise<number> {
    if (this.server) return this.boundPort!;
    fs.mkdirSync(this.opts.inboxDir, { recursive: true, mode: 0o700 });
    const server = new Server(ReceiverScp as unknown as typeof Scp);
    this.server = server;
    const net = () => (server as unknown as { server?: import('node:net').Server }).server;
    await new Promise<void>((resolve, reject) => {
      server.on('listening', () => resolve());
      server.on('networkError', (err: Error) => {
        if (!net()?.listening) {
          const code = (err as NodeJS.ErrnoException).code;
          reject(
            new PacsError(
              code === 'EADDRINUSE' ? 'refused' : 'network',
              code === 'EADDRINUSE' ? `the receiver cannot listen on port ${this.opts.port}: another program uses it` : `the receiver cannot listen on port ${this.opts.port}: ${code ?? err.message}`,
            ),
          );
        } else this.opts.log('warn', `receiver connection error: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
      });
      server.listen(this.opts.port, {
        // Generous for a modality that pauses between films; a dead peer is dropped all the same.
        associationTimeout: 60_000,
        pduTimeout: 120_000,
        customOptions: { receiver: { ...this.opts, counters: this.counters } },
      });
    }).catch((err) => {
      this.server = null;
      server.close();
      throw err;
    });
    this.boundPort = (net()?.address() as import('node:net').AddressInfo).port;
    this.opts.log('info', `receiver "${this.opts.aet}" listening on port ${this.boundPort}`);
    return this.boundPort;
  }

  /** Stops listening and drops open associations (their complete files are still handed on). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.boundPort = null;
    const ns = (server as unknown as { server?: import('node:net').Server }).server;
    const closed = ns?.listening ? new Promise<void>((r) => ns.once('close', () => r())) : Promise.resolve();
    server.close();
    await closed;
  }
}
