/**
 * A child process for the kill -9 tests: runs one long job against a catalog the way the app
 * does, and prints one line per step on stdout so the parent knows when to kill it.
 *
 *   node --import tsx test/reliability/crashChild.ts predict <dataDir>
 *   node --import tsx test/reliability/crashChild.ts train <dataDir>
 *
 * CXR_DEFAULT_MODEL_DIR names the stand-in shipped model, as in the parent.
 */
import { createServices } from '../../src/main/services/services';
import { trainingConfig, type TrainingProgress } from '../../src/shared/training';
import type { PredictProgress } from '../../src/shared/predict';

const [mode, dataDir] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`);
const s = createServices({ dataDir: dataDir! });

if (mode === 'predict') {
  s.events.subscribe((e, p) => {
    if (e === 'predict.progress') say(`progress ${(p as PredictProgress).done} ${(p as PredictProgress).total}`);
  });
  // Few MC-dropout samples: the write path is what is under test, and CI time is short.
  const sum = await s.predictions.run({}, { nSamples: 4 });
  say(`done ${sum.predicted}`);
} else if (mode === 'train') {
  s.events.subscribe((e, p) => {
    if (e === 'training.progress') {
      const t = p as TrainingProgress;
      say(`phase ${t.phase}${t.batch ? ` batch ${t.batch.batch}` : ''}`);
    }
  });
  const { runId, done } = s.training.start(trainingConfig.parse({ architecture: 'zhongSlim', start: 'fine-tune', epochs: 1, batchSize: 4, seed: 7 }));
  say(`run ${runId}`);
  const d = await done;
  say(`done ${d.status}`);
} else {
  throw new Error(`crashChild: unknown mode ${mode}`);
}
await s.close();
