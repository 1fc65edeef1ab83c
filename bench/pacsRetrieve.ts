/**
 * DICOMweb retrieval: throughput and peak RSS for one study of N instances (default 200) in a
 * local Orthanc, retrieved by the app's retrieve job (QIDO-RS list, one WADO-RS request per
 * instance, written to the inbox) and then imported by the import pipeline. The instances are
 * the 1 MiB NIH chest DX sample with fresh SOP Instance UIDs, uploaded through Orthanc's REST API.
 * RSS is sampled every 20 ms; "flat" means the retrieving phase's peak does not grow with N
 * (compare BENCH_PACS_INSTANCES=50 / 200 / 500). The main thread's worst event-loop delay during
 * retrieval is reported too: the network side and its multipart decode run in a worker thread.
 * Run: npx tsx bench/pacsRetrieve.ts   (BENCH_PACS_INSTANCES=200)
 * Prints one JSON object as the last line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startOrthanc } from '../test/helpers/orthanc';
import { createServices } from '../src/main/services/services';
import { dcmjs } from '../src/main/pacs/dcmjsModules';
import { nameUid } from '../src/main/pacs/uids';

const N = Number(process.env.BENCH_PACS_INSTANCES ?? 200);
const SAMPLE = path.resolve(import.meta.dirname, '../../shared/data/dicom/nih_cxr14_chest_DX.dcm');
const log = (m: string) => process.stderr.write(`${m}\n`);
const mib = (b: number) => Number((b / 2 ** 20).toFixed(1));

const orthanc = await startOrthanc();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bench-pacs-'));
try {
  // N instances of one study: the sample with new SOP Instance UIDs (same study and series).
  const buf = fs.readFileSync(SAMPLE);
  const dict = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  const studyUid = nameUid('bench-study', N);
  const t0 = performance.now();
  let uploadedBytes = 0;
  for (let i = 0; i < N; i++) {
    const sop = nameUid('bench-instance', N, i);
    dict.dict['00080018'] = { vr: 'UI', Value: [sop] };
    dict.dict['0020000D'] = { vr: 'UI', Value: [studyUid] };
    dict.dict['0020000E'] = { vr: 'UI', Value: [nameUid('bench-series', N)] };
    dict.dict['00200013'] = { vr: 'IS', Value: [i + 1] };
    dict.meta['00020003'] = { vr: 'UI', Value: [sop] };
    const bytes = new Uint8Array(dict.write());
    uploadedBytes += bytes.length;
    await orthanc.uploadBytes(bytes);
  }
  log(`uploaded ${N} instances (${mib(uploadedBytes)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const s = createServices({ dataDir: dir });
  // The same measure with nothing running: on a shared machine the scheduler alone delays the loop.
  const idle = monitorEventLoopDelay({ resolution: 10 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 3000));
  idle.disable();
  const baseRss = process.memoryUsage().rss;
  const peaks: Record<string, number> = { listing: 0, retrieving: 0, importing: 0 };
  const rssAt: { retrieved: number; rssMiB: number }[] = [];
  let stage = 'listing';
  let retrieved = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (stage in peaks) peaks[stage] = Math.max(peaks[stage]!, rss);
  }, 20);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const times: Record<string, number> = { start: performance.now() };
  s.events.subscribe((e, p) => {
    if (e !== 'pacs.retrieveProgress') return;
    const pr = p as { stage: string; retrieved: number };
    if (pr.stage !== stage) {
      times[pr.stage] = performance.now();
      if (pr.stage === 'retrieving') lag.enable();
      if (stage === 'retrieving') lag.disable();
      stage = pr.stage;
    }
    // RSS at each quarter of the study: flat memory means these stay level as instances pile up.
    if (pr.retrieved !== retrieved && [0.25, 0.5, 0.75, 1].some((q) => pr.retrieved === Math.round(q * N))) rssAt.push({ retrieved: pr.retrieved, rssMiB: mib(process.memoryUsage().rss) });
    retrieved = pr.retrieved;
  });
  const job = s.pacs.retrieve([studyUid], { url: orthanc.dicomweb });
  const summary = await job.done;
  clearInterval(sampler);
  const end = performance.now();
  const retrieveS = ((times.importing ?? end) - (times.retrieving ?? times.start!)) / 1000;
  const result = {
    bench: 'pacsRetrieve',
    instances: N,
    studyMiB: mib(uploadedBytes),
    retrieved: summary.retrieved,
    failures: summary.failures.length,
    failureReasons: [...new Set(summary.failures.map((f) => f.reason.replace(/[\d.]{20,}/g, '<uid>')))].slice(0, 3),
    listS: Number((((times.retrieving ?? end) - times.start!) / 1000).toFixed(2)),
    retrieveS: Number(retrieveS.toFixed(2)),
    instancesPerS: Number((summary.retrieved / retrieveS).toFixed(1)),
    mibPerS: Number((mib(summary.bytes) / retrieveS).toFixed(1)),
    importS: times.importing ? Number(((end - times.importing) / 1000).toFixed(2)) : null,
    imported: summary.import?.imported ?? null,
    rssBaseMiB: mib(baseRss),
    peakRssMiB: { listing: mib(peaks.listing!), retrieving: mib(peaks.retrieving!), importing: mib(peaks.importing!) },
    rssDuringRetrieve: rssAt,
    maxEventLoopDelayMs: Number((lag.max / 1e6).toFixed(1)),
    p99EventLoopDelayMs: Number((lag.percentile(99) / 1e6).toFixed(1)),
    idleMaxEventLoopDelayMs: Number((idle.max / 1e6).toFixed(1)),
    cores: os.availableParallelism(),
  };
  s.close();
  console.log(JSON.stringify(result));
} finally {
  await orthanc.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
