import type { Command, CliContext } from '../command';
import { UsageError } from '../command';
import type { DicomWebTarget } from '../../main/pacs/dicomweb';
import { studyImageIds } from '../../main/catalog/pacs';
import type { ImportSummary } from '../../shared/import';
import type { PacsRetrieveSummary, PacsSendSummary } from '../../shared/pacs';

const USAGE = [
  'cxr pacs query --dicomweb <url> [--patient-id X] [--patient-name N] [--accession A] [--modality CR,DX] [--date-from YYYY-MM-DD] [--date-to YYYY-MM-DD] [--json]',
  '       cxr pacs retrieve --dicomweb <url> --study <uid> [--study <uid>...] [--predict] [--db <file>] [--data-dir <dir>] [--json]',
  '       cxr pacs send-results --dicomweb <url> --study <uid> [--heatmap] [--db <file>] [--json]',
  '       cxr pacs listen --aet <AET> --port <n> [--allow <AET,...>] [--db <file>] [--data-dir <dir>]',
  '  Credentials: --user <name> with $CXR_PACS_PASSWORD (basic), or $CXR_PACS_TOKEN (bearer); --timeout <s> (default 30).',
].join('\n');

function target(values: Record<string, unknown>): Partial<DicomWebTarget> & { url: string } {
  const url = values.dicomweb;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new UsageError('give the DICOMweb root as --dicomweb http(s)://host:port/path');
  const timeoutMs = values.timeout === undefined ? 30_000 : Math.round(1000 * Number(values.timeout));
  if (!Number.isFinite(timeoutMs) || timeoutMs < 100) throw new UsageError('--timeout is in seconds, at least 0.1');
  const user = values.user as string | undefined;
  if (user) {
    const password = process.env.CXR_PACS_PASSWORD;
    if (password === undefined) throw new UsageError('--user needs the password in $CXR_PACS_PASSWORD (never on the command line)');
    return { url, timeoutMs, auth: { kind: 'basic', username: user, password } };
  }
  if (process.env.CXR_PACS_TOKEN) return { url, timeoutMs, auth: { kind: 'bearer', token: process.env.CXR_PACS_TOKEN } };
  return { url, timeoutMs };
}

const studies = (values: Record<string, unknown>): string[] => {
  const list = ((values.study as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError('give the study with --study <StudyInstanceUID>');
  const bad = list.find((u) => !/^[0-9.]{1,64}$/.test(u));
  if (bad) throw new UsageError(`not a DICOM UID: ${bad}`);
  return list;
};

async function predictNew(ctx: CliContext): Promise<void> {
  const s = ctx.services();
  const r = await s.predictions.run({}, { inline: true });
  ctx.progress(`predicted ${r.predicted} new image(s) with ${r.modelId}`);
}

function listen(ctx: CliContext, values: Record<string, unknown>): Promise<unknown> {
  const aet = values.aet as string | undefined;
  const port = Number(values.port);
  if (!aet || !/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(aet)) throw new UsageError('give the AE title to listen as with --aet (1-16 characters)');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('give the port with --port <n>');
  const allow = ((values.allow as string | undefined) ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  const s = ctx.services();
  const imports: ImportSummary[] = [];
  s.events.subscribe((event, payload) => {
    if (event === 'system.log') ctx.progress((payload as { message: string }).message);
  });
  return new Promise((resolve, reject) => {
    let chain = Promise.resolve();
    const offReceived = s.events.subscribe((event, payload) => {
      if (event !== 'pacs.received') return;
      const summary = (payload as { lastImport: ImportSummary | null }).lastImport;
      if (!summary) return;
      imports.push(summary);
      ctx.progress(`import ${summary.importId}: ${summary.imported} new, ${summary.duplicates} duplicate(s), ${summary.errorCount} error(s)`);
      // Headless, the receiver's films are predicted as the app's import panel predicts them.
      chain = chain.then(() => predictNew(ctx)).catch((err) => ctx.progress(`prediction failed: ${err instanceof Error ? err.message : String(err)}`));
    });
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const r = s.pacs.receiver;
      const result = { aet, port: r?.port ?? port, received: r?.received ?? 0, refusedAssociations: r?.refusedAssociations ?? 0, imports };
      void s.pacs
        .close()
        .then(() => s.pacs.importsSettled())
        .then(() => chain)
        .then(() => {
          offReceived();
          resolve(result);
        });
    };
    s.pacs.applyReceiverSettings({ enabled: true, aet, port, allowedCallingAets: allow }).then(
      () => {
        ctx.progress(`listening as "${aet}" on port ${s.pacs.receiver?.port}; Ctrl-C stops`);
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      },
      reject,
    );
  });
}

/** `cxr pacs`: the PACS as a source (query, retrieve, listen) and a destination (send-results). */
export const pacsCommand: Command = {
  summary: 'query and retrieve from a PACS over DICOMweb, receive films over DIMSE, send results back as DICOM SRs',
  usage: USAGE,
  options: {
    dicomweb: { type: 'string' },
    'patient-id': { type: 'string' },
    'patient-name': { type: 'string' },
    accession: { type: 'string' },
    modality: { type: 'string' },
    'date-from': { type: 'string' },
    'date-to': { type: 'string' },
    limit: { type: 'string' },
    study: { type: 'string', multiple: true },
    predict: { type: 'boolean', default: false },
    heatmap: { type: 'boolean', default: false },
    user: { type: 'string' },
    timeout: { type: 'string' },
    aet: { type: 'string' },
    port: { type: 'string' },
    allow: { type: 'string' },
  },
  async run(ctx, values, positionals) {
    const [sub, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`);
    switch (sub) {
      case 'query': {
        const date = (k: string) => {
          const v = values[k] as string | undefined;
          if (v !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new UsageError(`--${k} is a date as YYYY-MM-DD`);
          return v;
        };
        const modalities = ((values.modality as string | undefined) ?? 'CR,DX').split(',').map((m) => m.trim().toUpperCase()).filter(Boolean);
        const found = await ctx.services().pacs.query(
          {
            patientId: values['patient-id'] as string | undefined,
            patientName: values['patient-name'] as string | undefined,
            accession: values.accession as string | undefined,
            dateFrom: date('date-from'),
            dateTo: date('date-to'),
            modalities,
            limit: values.limit ? Number(values.limit) : 200,
          },
          target(values),
        );
        return { studies: found.map((s) => ({ studyInstanceUID: s.studyInstanceUID, patientId: s.patientId, studyDate: s.studyDate, modalities: s.modalities, instances: s.instances })) };
      }
      case 'retrieve': {
        const s = ctx.services();
        const job = s.pacs.retrieve(studies(values), target(values));
        let last = 0;
        const off = s.events.subscribe((event, payload) => {
          if (event !== 'pacs.retrieveProgress') return;
          const p = payload as { stage: string; retrieved: number; total: number; failed: number };
          if (Date.now() - last < 250 && p.stage === 'retrieving') return;
          last = Date.now();
          ctx.progress(`retrieve: ${p.stage} ${p.retrieved}/${p.total}, ${p.failed} failed`);
        });
        const summary: PacsRetrieveSummary = await job.done.finally(off);
        for (const f of summary.failures) ctx.progress(`failed${f.sopInstanceUID ? ` ${f.sopInstanceUID}` : ''}: ${f.reason}`);
        if (!summary.import) throw new Error(summary.failures[0]?.reason ?? `nothing retrieved (${summary.status})`);
        if (values.predict) await predictNew(ctx);
        return { ...summary.import, retrieve: { status: summary.status, listed: summary.listed, retrieved: summary.retrieved, bytes: summary.bytes, failures: summary.failures, inbox: summary.inbox } };
      }
      case 'send-results': {
        const s = ctx.services();
        const imageIds = studies(values).flatMap((u) => studyImageIds(s.catalog, u));
        if (imageIds.length === 0) throw new Error('no catalogued image in that study: retrieve it first');
        const r: PacsSendSummary = await s.pacs.send({ imageIds, includeHeatmap: Boolean(values.heatmap) }, target(values));
        for (const k of r.skipped) ctx.progress(`image ${k.imageId} skipped: ${k.reason}`);
        for (const f of r.failed) ctx.progress(`image ${f.imageId} failed: ${f.reason}`);
        if (r.sent.length === 0 && r.failed.length > 0) throw new Error(r.failed[0]!.reason);
        return { sent: r.sent.map((o) => ({ sopInstanceUID: o.sopInstanceUID, sopClassUID: o.sopClassUID })), skipped: r.skipped, failed: r.failed };
      }
      case 'listen':
        return listen(ctx, values);
      default:
        throw new UsageError(sub ? `unknown pacs command '${sub}'` : 'give a pacs command: query, retrieve, send-results or listen');
    }
  },
};
