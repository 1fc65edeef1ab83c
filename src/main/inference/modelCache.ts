/**
 * The one model the inference worker keeps loaded. Asking for another folder loads that one and
 * disposes of the old; a load that fails is forgotten, so the next request tries again (a model
 * folder fixed or finished copying works without restarting the app).
 */
export class ModelCache<T> {
  private current: { dir: string; value: Promise<T> } | null = null;

  constructor(
    private readonly load: (dir: string) => Promise<T>,
    private readonly dispose: (value: T) => void,
  ) {}

  get(dir: string): Promise<T> {
    if (this.current?.dir !== dir) {
      const old = this.current;
      const entry: { dir: string; value: Promise<T> } = {
        dir,
        value: (async () => {
          const previous = await old?.value.catch(() => null);
          if (previous) this.dispose(previous);
          return this.load(dir);
        })(),
      };
      entry.value.catch(() => {
        // Forget the failure (unless a newer request replaced it already).
        if (this.current === entry) this.current = null;
      });
      this.current = entry;
    }
    return this.current.value;
  }
}
