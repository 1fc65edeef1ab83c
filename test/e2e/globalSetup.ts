import { build, preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';
import { rendererConfig } from '../../vite.renderer.config';

let server: PreviewServer | undefined;

/** Builds the renderer once and serves it with `vite preview` on 127.0.0.1 for every e2e file. */
export async function setup(project: TestProject): Promise<void> {
  if (!process.env.CXR_E2E_SKIP_BUILD) await build({ ...rendererConfig, logLevel: 'warn' });
  server = await preview({ ...rendererConfig, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  project.provide('rendererUrl', url);
}

export async function teardown(): Promise<void> {
  await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()));
}

declare module 'vitest' {
  export interface ProvidedContext {
    rendererUrl: string;
  }
}
