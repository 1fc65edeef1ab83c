import fs from 'node:fs';
import path from 'node:path';
import { maskPatientFolder } from '../access/maskedPath';
import os from 'node:os';
import type { Catalog } from '../catalog/openCatalog';
import { audit, writeTransaction } from '../catalog/openCatalog';
import { createImport, finishImport, importStatements, type ImageRecord } from '../catalog/imports';
import type { ImportFileError, ImportProgress, ImportSummary } from '../../shared/import';
import { catalogedFileProblems, importFile, type FileOutcome } from './importFile';
import { scanRoots, type ScannedFile } from './scan';
import { DecodePool, type FileBytes } from './decodePool';
import { readManifestPatients } from './manifest';

export interface ImportRunOptions {
  db: Catalog;
  dataDir: string;
  roots: string[];
  labelsFromFolders: boolean;
  /** Files processed at once: sharp decodes off-thread, so a few in flight keep both cores busy. */
  concurrency?: number;
  /** Images per catalog transaction. */
  batchSize?: number;
  /** Decode DICOM pixel data in a pool of worker threads, each file under a deadline (default: yes). */
  decodePool?: boolean;
}

export interface ImportRunHooks {
  onStarted?(importId: number): void;
  onProgress?(p: ImportProgress): void;
  isCancelled?(): boolean;
}

/** Errors listed in the summary; the rest are in import_errors only. */
const MAX_SUMMARY_ERRORS = 1000;

/** Progress events at most this often (plus the last one). */
const PROGRESS_INTERVAL_MS = 100;

/**
 * Imports every file under the roots into the catalog. Idempotent (dedupe on SOP Instance UID,
 * or the content hash for JPEG/PNG; a moved file gets its path updated) and crash-safe: images
 * are written in batched transactions after their renderings are on disk, so a kill leaves whole
 * images only, and a rerun picks up the rest.
 */
export async function runImport(opts: ImportRunOptions, hooks: ImportRunHooks = {}): Promise<ImportSummary> {
  const started = performance.now();
  const { db } = opts;
  const roots = opts.roots.map((r) => path.resolve(r));
  const importId = createImport(db, roots);
  audit(db, { actor: 'import', action: 'import.start', entity: 'import', entityId: importId, detail: { roots: roots.length } });
  hooks.onStarted?.(importId);
  const st = importStatements(db);
  const summary: ImportSummary = {
    importId,
    status: 'completed',
    scanned: 0,
    imported: 0,
    duplicates: 0,
    moved: 0,
    repaired: 0,
    conflicts: 0,
    excluded: {},
    warnings: {},
    skipped: {},
    transferSyntaxes: {},
    errors: [],
    errorCount: 0,
    durationMs: 0,
  };
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

  /** `replace`: a clean file that wins a conflict replaces the damaged copy catalogued first. */
  let pendingRecords: { record: ImageRecord; transferSyntax?: string; error?: string; replace?: boolean }[] = [];
  let pendingErrors: ImportFileError[] = [];
  let pendingMoves: { id: number; path: string }[] = [];
  const claimed = new Set<string>();

  // The JPEG/PNG patient folder is masked in error rows (import_errors, the summary, CLI output).
  const masked = (e: ImportFileError): ImportFileError => ({ ...e, file: e.file.split(', ').map((f) => maskPatientFolder(f, roots, opts.labelsFromFolders)).join(', ') });
  const noteError = (raw: ImportFileError) => {
    const e = masked(raw);
    summary.errorCount++;
    // Every error has its import_errors row; the summary (an IPC event, a CLI line) keeps the first ones.
    if (summary.errors.length < MAX_SUMMARY_ERRORS) summary.errors.push(e);
  };
  /** Writes one batch; the summary counts it only once it is committed. */
  const writeBatch = writeTransaction(
    db,
    (records: typeof pendingRecords, errors: ImportFileError[], moves: typeof pendingMoves) => {
      const counted = { duplicates: 0, repaired: 0, imported: [] as ImageRecord['image'][], errors: [...errors] };
      for (const m of moves) st.updatePath(m.id, m.path);
      for (const r of records) {
        if (r.replace) {
          st.insert(r.record, true);
          continue;
        }
        const existed = st.findBySop(r.record.image.sopUid) !== undefined;
        if (!st.insert(r.record)) counted.duplicates++;
        else if (existed) counted.repaired++;
        else {
          counted.imported.push(r.record.image);
          if (r.error) counted.errors.push({ file: r.record.image.sourcePath, reason: r.error });
        }
      }
      for (const e of counted.errors) st.addError(importId, masked(e).file, e.reason);
      return counted;
    },
  );
  /**
   * Writes the pending batch. A batch the catalog refuses (locked past every retry, disk full)
   * fails its own files, each with an error in the summary, and the import goes on.
   */
  const flush = () => {
    const [records, errors, moves] = [pendingRecords, pendingErrors, pendingMoves];
    pendingRecords = [];
    pendingErrors = [];
    pendingMoves = [];
    if (records.length + errors.length + moves.length === 0) return;
    try {
      const c = writeBatch(records, errors, moves);
      summary.duplicates += c.duplicates;
      summary.repaired += c.repaired;
      summary.imported += c.imported.length;
      for (const img of c.imported) {
        if (img.exclusion) bump(summary.excluded, img.exclusion);
        for (const w of img.warnings) bump(summary.warnings, w);
      }
      for (const e of c.errors) noteError(e);
    } catch (err) {
      const reason = `not written to the catalog: ${err instanceof Error ? err.message : String(err)}`;
      summary.moved -= moves.length;
      for (const r of records) noteError({ file: r.record.image.sourcePath, reason });
      for (const e of errors) noteError(e);
      for (const r of records) claimed.delete(r.record.image.sopUid);
    }
  };

  let pool: DecodePool | null = null;
  try {
    const { files, problems } = await scanRoots(roots);
    pendingErrors.push(...problems);
    const manifest = readManifestPatients(files);
    pendingErrors.push(...manifest.problems);
    const total = files.length;
    summary.scanned = total;
    let done = 0;
    let lastProgress = 0;
    const progress = (current: string | null, force = false) => {
      const now = performance.now();
      if (!force && now - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = now;
      hooks.onProgress?.({ importId, done, total, current, errors: summary.errorCount + pendingErrors.length });
    };
    progress(null, true);

    // A catalogued copy that did not decode (a transfer cut short) does not stop a good copy.
    const claim = (sopUid: string): boolean => {
      if (claimed.has(sopUid)) return false;
      claimed.add(sopUid);
      const row = st.findBySop(sopUid);
      return row === undefined || row.exclusion_reason === 'undecodable';
    };
    /** Copies of an image claimed earlier: the first copy may yet turn out undecodable, or the two differ. */
    const laterCopies: ScannedFile[] = [];
    /** The header problems of each DICOM image catalogued in this run, by SOP UID: a conflict compares them. */
    const problemsOf = new Map<string, string[]>();
    const handle = (f: ScannedFile, o: FileOutcome) => {
      const file = f.path;
      switch (o.kind) {
        case 'record':
          if (o.problems) problemsOf.set(o.record.image.sopUid, o.problems);
          if (o.transferSyntax) bump(summary.transferSyntaxes, o.transferSyntax);
          pendingRecords.push({ record: o.record, transferSyntax: o.transferSyntax, error: o.error });
          break;
        case 'known': {
          const row = st.findBySop(o.sopUid);
          if (!row || row.exclusion_reason === 'undecodable' || (o.contentHash !== undefined && o.contentHash !== row.content_hash)) {
            laterCopies.push(f);
            break;
          }
          if (o.transferSyntax) bump(summary.transferSyntaxes, o.transferSyntax);
          // A catalogued image whose original is gone but which now turns up here has moved.
          if (row && row.source_path !== file && !fs.existsSync(row.source_path)) {
            pendingMoves.push({ id: row.id, path: file });
            summary.moved++;
          } else summary.duplicates++;
          break;
        }
        case 'skipped':
          bump(summary.skipped, o.reason);
          break;
        case 'error':
          pendingErrors.push({ file, reason: o.reason });
          break;
      }
    };

    const batchSize = opts.batchSize ?? 64;
    const concurrency = Math.max(1, opts.concurrency ?? Math.min(4, os.availableParallelism() * 2));
    let next = 0;
    // Always a pool, even of one thread on one core: its deadline is what stops a codec that never returns.
    const usePool = opts.decodePool ?? true;
    pool = usePool ? new DecodePool() : null;
    const p = pool;
    const renderDicom = p ? (file: string, raw: boolean, given?: FileBytes) => p.render(file, raw, opts.dataDir, given) : undefined;
    const ctx = {
      dataDir: opts.dataDir,
      labelsFromFolders: opts.labelsFromFolders,
      claim,
      renderDicom,
      patientOf: (file: string) => manifest.patients.get(file),
    };
    /**
     * Two files claim one SOP Instance UID with different bytes: the one whose header is clean
     * and whose pixels decode is catalogued (the catalogued one stays on a tie), and the other is
     * reported in a conflict row naming both.
     */
    const resolveConflict = async (f: ScannedFile, row: { id: number; source_path: string; exclusion_reason: string | null }) => {
      const later = await importFile(f, { ...ctx, claim: () => true });
      if (later.kind !== 'record') {
        handle(f, later);
        return;
      }
      const sopUid = later.record.image.sopUid;
      const firstProblems = problemsOf.get(sopUid) ?? (await catalogedFileProblems(row.source_path));
      const score = (problems: string[] | null | undefined, undecodable: boolean) =>
        (problems ? problems.length : 50) + (undecodable ? 100 : 0);
      const laterScore = score(later.problems, later.record.image.exclusion === 'undecodable');
      const firstScore = score(firstProblems, row.exclusion_reason === 'undecodable');
      const describe = (problems: string[] | null | undefined, undecodable: boolean) =>
        [...(problems ?? ['its header could not be read again']), ...(undecodable ? ['its pixels do not decode'] : [])].join('; ') || 'its header is clean';
      if (later.transferSyntax) bump(summary.transferSyntaxes, later.transferSyntax);
      const c = conflicts.get(sopUid) ?? { kept: { file: row.source_path, why: describe(firstProblems, false) }, losers: [] };
      conflicts.set(sopUid, c);
      if (laterScore < firstScore) {
        pendingRecords.push({ record: later.record, replace: true });
        problemsOf.set(sopUid, later.problems ?? []);
        c.losers.push({ file: row.source_path, why: describe(firstProblems, row.exclusion_reason === 'undecodable') });
        c.kept = { file: f.path, why: describe(later.problems, false) };
      } else c.losers.push({ file: f.path, why: describe(later.problems, later.record.image.exclusion === 'undecodable') });
    };
    /** Each contested SOP UID: the file kept in the end and the files not kept, reported once all are judged. */
    const conflicts = new Map<string, { kept: { file: string; why: string }; losers: { file: string; why: string }[] }>();
    const workerLoop = async () => {
      while (next < files.length) {
        if (hooks.isCancelled?.()) return;
        const f = files[next++]!;
        progress(f.path);
        const outcome = await importFile(f, ctx);
        handle(f, outcome);
        done++;
        if (pendingRecords.length + pendingErrors.length >= batchSize) flush();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, workerLoop));
    flush();
    // The first copy of each of these is in the catalog now: a later copy gets its turn only where
    // that one did not decode, and is otherwise the duplicate it looked like.
    for (const f of laterCopies) {
      if (hooks.isCancelled?.()) break;
      const outcome = await importFile(f, { ...ctx, claim: (sopUid) => st.findBySop(sopUid)?.exclusion_reason === 'undecodable' });
      const row = outcome.kind === 'known' ? st.findBySop(outcome.sopUid) : undefined;
      if (outcome.kind === 'known' && row && outcome.contentHash !== undefined && outcome.contentHash !== row.content_hash) {
        await resolveConflict(f, row);
      } else if (outcome.kind === 'known') {
        if (outcome.transferSyntax) bump(summary.transferSyntaxes, outcome.transferSyntax);
        summary.duplicates++;
      } else handle(f, outcome);
      flush();
    }
    for (const { kept, losers } of conflicts.values()) {
      for (const l of losers) {
        summary.conflicts++;
        pendingErrors.push({
          file: l.file,
          reason: `conflict: ${kept.file} claims the same SOP Instance UID with different bytes; kept ${kept.file} (${kept.why}), not this file (${l.why})`,
        });
      }
    }
    flush();
    if (hooks.isCancelled?.() && done < total) summary.status = 'cancelled';
    progress(null, true);
  } catch (err) {
    summary.status = 'failed';
    summary.errors.push({ file: roots.join(', '), reason: `import failed: ${err instanceof Error ? err.message : String(err)}` });
    summary.errorCount++;
    try {
      flush();
    } catch {
      // The catalog itself failed; the summary row below may fail too, and then the import stays 'running'.
    }
  }
  await pool?.close();
  summary.durationMs = Math.round(performance.now() - started);
  finishImport(db, importId, summary);
  audit(db, {
    actor: 'import',
    action: `import.${summary.status}`,
    entity: 'import',
    entityId: importId,
    detail: { scanned: summary.scanned, imported: summary.imported, duplicates: summary.duplicates, errors: summary.errorCount },
  });
  return summary;
}
