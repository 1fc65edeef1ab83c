import type { Command } from '../command';
import { UsageError } from '../command';
import { runImport } from '../../main/import/importRun';
import type { ImportSummary } from '../../shared/import';

/**
 * `cxr import`: runs the import in this process (a CLI has no UI thread to keep free), with
 * progress on stderr. The roots come from the command line, the user's own say-so.
 */
export const importCommand: Command = {
  summary: 'import DICOM and JPEG/PNG folders into the catalog (idempotent; rerun to finish an interrupted import)',
  usage: 'cxr import <folder|file>... [--labels-from-folders] [--db <file>] [--data-dir <dir>] [--json]',
  options: {
    'labels-from-folders': { type: 'boolean', default: false },
  },
  async run(ctx, values, positionals) {
    if (positionals.length === 0) throw new UsageError('give at least one folder to import');
    const s = ctx.services();
    let lastLine = 0;
    const labelsFromFolders = Boolean(values['labels-from-folders']);
    const summary = await runImport(
      { db: s.catalog, dataDir: s.dataDir, roots: positionals, labelsFromFolders },
      {
        onProgress: (p) => {
          const now = Date.now();
          if (p.done !== p.total && now - lastLine < 250) return;
          lastLine = now;
          ctx.progress(`import ${p.importId}: ${p.done}/${p.total} files, ${p.errors} error(s)`);
        },
      },
    );
    return summary; // error rows come with the JPEG/PNG patient folder masked (runImport)
  },
  exitCode: (result) => ((result as ImportSummary).status === 'failed' ? 1 : 0),
  print(result) {
    const r = result as ImportSummary;
    const lines = [
      `import ${r.importId} ${r.status} in ${(r.durationMs / 1000).toFixed(1)} s: ${r.scanned} file(s) scanned, ${r.imported} imported, ` +
        `${r.duplicates} duplicate(s), ${r.moved} moved, ${r.repaired} repaired, ${r.conflicts} conflict(s), ${r.errorCount} error(s)`,
    ];
    for (const [k, n] of Object.entries(r.excluded)) lines.push(`  excluded ${k}: ${n}`);
    for (const [k, n] of Object.entries(r.warnings)) lines.push(`  warning ${k}: ${n}`);
    for (const [k, n] of Object.entries(r.skipped)) lines.push(`  skipped ${k}: ${n}`);
    for (const [k, n] of Object.entries(r.transferSyntaxes)) lines.push(`  transfer syntax ${k}: ${n}`);
    for (const e of r.errors.slice(0, 20)) lines.push(`  error ${e.file}: ${e.reason}`);
    if (r.errorCount > 20) lines.push(`  … and ${r.errorCount - 20} more error(s) (all are in the catalog's import_errors)`);
    return lines.join('\n');
  },
};
