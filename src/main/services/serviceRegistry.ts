import type { Services } from './services';

/** Something that lives as long as the app: a worker host, a job runner. `close()` ends its threads. */
export interface LongLived {
  close(): Promise<void>;
}

/**
 * How a service joins `Services` (OHIF's `static REGISTRATION`): its name on `Services` and how it
 * is made. The list of them is in services.ts.
 */
export interface ServiceRegistration<N extends string, T extends LongLived> {
  readonly name: N;
  create(s: Services): T;
}

/**
 * Makes each registered service on first use and closes them all, the newest first, so a service
 * closes before the ones it started (repredict before the prediction job before the inference host).
 */
export class ServiceRegistry {
  private readonly made = new Map<string, LongLived>();
  private closing: Promise<void> | null = null;

  get<N extends string, T extends LongLived>(s: Services, reg: ServiceRegistration<N, T>): T {
    const hit = this.made.get(reg.name);
    if (hit) return hit as T;
    if (this.closing) throw new Error(`the ${reg.name} service was asked for after the services closed`);
    const service = reg.create(s);
    this.made.set(reg.name, service);
    return service;
  }

  /** Closes every service made, newest first; every one is closed even if one fails, then the first error is thrown. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const errors: unknown[] = [];
      for (const service of [...this.made.values()].reverse()) {
        try {
          await service.close();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length) throw errors[0];
    })();
    return this.closing;
  }
}
