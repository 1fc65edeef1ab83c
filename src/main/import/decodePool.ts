import type { Worker } from 'node:worker_threads';
import os from 'node:os';
import type { RenderOutcome } from '../renderings/renderDicomFile';
import { startWorker } from '../workers/startWorker';

/** A file's bytes, as the import thread read (and, deflated, inflated) them: the thread parses these. */
export interface FileBytes {
  bytes: Uint8Array;
  /** A deflated dataset already inflated (parseDicom's `inflated`). */
  inflated: boolean;
}

/** Above this a buffer cannot be a slice of Node's shared Buffer pool, so it may be moved, not copied. */
const TRANSFER_MIN_BYTES = 64 * 1024;

interface Task {
  id: number;
  file: string;
  raw: boolean;
  dataDir: string;
  given?: FileBytes;
  resolve: (o: RenderOutcome) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  timer: NodeJS.Timeout | null;
  /** Why the worker is being stopped, when we stop it. */
  stopping: string | null;
}

/**
 * A file whose decode takes longer than this (a codec spinning on hostile data) is given up. It
 * counts from the moment the thread starts the file, so a thread's own start (loading the codecs,
 * slow on a busy machine) is not charged to it; a 2k JPEG 2000 decodes in 0.15–1.5 s.
 */
export const DECODE_TIMEOUT_MS = 5_000;
/** A thread that has not started its file by then (it never came up) is stopped too. */
const START_TIMEOUT_MS = 60_000;

/**
 * Worker threads that decode DICOM pixel data: WASM codecs and the pixel pipeline are synchronous
 * and take 100-200 ms on a 2k image, so one thread per core lets an import use every core. A
 * worker that dies (a codec abort) fails only its file, and is replaced. Started lazily.
 */
export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size = Math.max(1, Math.min(4, os.availableParallelism())),
    private readonly timeoutMs = DECODE_TIMEOUT_MS,
  ) {}

  /**
   * Decodes and stores a file's rendering. Given its bytes, the thread parses those, and a large
   * buffer is moved to it (detached here), so the file is read and inflated once.
   */
  render(file: string, raw: boolean, dataDir: string, given?: FileBytes): Promise<RenderOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, code: 'other', reason: 'decode pool is closed' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, file, raw, dataDir, given, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.task === null);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.task = task;
      this.arm(slot, START_TIMEOUT_MS, 'the decoder thread did not start within 60 s');
      const given = task.given;
      task.given = undefined;
      const buffer = given?.bytes.buffer;
      const transfer = buffer instanceof ArrayBuffer && buffer.byteLength >= TRANSFER_MIN_BYTES ? [buffer] : [];
      slot.worker.postMessage(
        { id: task.id, file: task.file, raw: task.raw, dataDir: task.dataDir, bytes: given?.bytes, inflated: given?.inflated },
        transfer,
      );
    }
  }

  /** (Re)sets the slot's deadline: when it passes, the thread is stopped and its file fails with `why`. */
  private arm(slot: Slot, ms: number, why: string): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.stopping = why;
      void slot.worker.terminate();
    }, ms);
  }

  private spawn(): Slot {
    const worker = startWorker('decode');
    const slot: Slot = { worker, task: null, timer: null, stopping: null };
    this.slots.push(slot);
    worker.on('message', (m: { id: number; started?: true; outcome?: RenderOutcome }) => {
      const task = slot.task;
      if (!task || task.id !== m.id) return;
      if (m.started) {
        const limit = this.timeoutMs >= 1000 ? `${Math.round(this.timeoutMs / 1000)} s` : `${this.timeoutMs} ms`;
        this.arm(slot, this.timeoutMs, `decoding took over ${limit} and was stopped`);
        return;
      }
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.task = null;
      task.resolve(m.outcome!);
      this.pump();
    });
    const fail = (why: string) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (slot.timer) clearTimeout(slot.timer);
      const task = slot.task;
      slot.task = null;
      task?.resolve({ ok: false, code: 'undecodable', reason: slot.stopping ?? `the decoder crashed on this file: ${why}` });
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`decoder thread exited with code ${code}`));
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.resolve({ ok: false, code: 'other', reason: 'import closed' });
    for (const s of this.slots) if (s.timer) clearTimeout(s.timer);
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}
