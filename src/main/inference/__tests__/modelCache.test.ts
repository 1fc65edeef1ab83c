import { describe, expect, it } from 'vitest';
import { ModelCache } from '../modelCache';

/** A loader over a set of folders that can be "fixed" between requests, counting its loads. */
function loader() {
  const good = new Set<string>();
  const loads: string[] = [];
  const disposed: string[] = [];
  const cache = new ModelCache<{ dir: string }>(
    async (dir) => {
      loads.push(dir);
      if (!good.has(dir)) throw new Error(`${dir}: model.json missing`);
      return { dir };
    },
    (m) => disposed.push(m.dir),
  );
  return { cache, good, loads, disposed };
}

describe('the inference worker model cache', () => {
  it('retries a failed load on the next request instead of remembering the failure', async () => {
    const { cache, good, loads } = loader();
    await expect(cache.get('/models/a')).rejects.toThrow(/model\.json missing/);
    good.add('/models/a');
    await expect(cache.get('/models/a')).resolves.toEqual({ dir: '/models/a' });
    expect(loads).toEqual(['/models/a', '/models/a']);
  });

  it('keeps a good model loaded across requests and disposes of it when another is asked for', async () => {
    const { cache, good, loads, disposed } = loader();
    good.add('/models/a');
    good.add('/models/b');
    const a = await cache.get('/models/a');
    expect(await cache.get('/models/a')).toBe(a);
    await cache.get('/models/b');
    expect(loads).toEqual(['/models/a', '/models/b']);
    expect(disposed).toEqual(['/models/a']);
  });

  it('shares one load between requests that arrive while it runs', async () => {
    const { cache, good, loads } = loader();
    good.add('/models/a');
    const [x, y] = await Promise.all([cache.get('/models/a'), cache.get('/models/a')]);
    expect(x).toBe(y);
    expect(loads).toHaveLength(1);
  });
});
