/**
 * The second GPU route: WebGPU on Dawn through the `webgpu` npm package (Vulkan, Metal or D3D12
 * underneath, no CUDA coupling). This only finds an adapter; backend.ts decides whether to use it.
 */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export type WebGpuProbe = { ok: true; gpu: GPUish; adapter: GpuAdapterInfo } | { ok: false; reason: string };

/** The slice of Dawn's navigator.gpu that we use (typed locally: no DOM lib in main). */
export interface GPUish {
  requestAdapter(opts?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<{
    info?: Partial<GpuAdapterInfo>;
  } | null>;
}

/**
 * Loads Dawn and asks for a high-performance adapter. Every failure becomes a reason string:
 * the package missing, its native binary failing to load, or no adapter (no GPU, or no
 * Vulkan/Metal/D3D12 loader on the machine; Dawn prints the loader error itself on stderr).
 */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  let mod: { create(flags: string[]): GPUish; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: /Cannot find (module|package)/.test(msg) ? 'webgpu (Dawn) not installed' : `Dawn failed to load: ${msg.split('\n')[0]}` };
  }
  try {
    const gpu = mod.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { ok: false, reason: 'no adapter: Dawn found no Vulkan, Metal or D3D12 GPU' };
    // tfjs-backend-webgpu looks for the WebGPU globals (GPUBufferUsage …) and navigator.gpu.
    Object.assign(globalThis, mod.globals);
    const info = adapter.info ?? {};
    return {
      ok: true,
      gpu,
      adapter: {
        vendor: info.vendor ?? '',
        architecture: info.architecture ?? '',
        device: info.device ?? '',
        description: info.description ?? '',
      },
    };
  } catch (err) {
    return { ok: false, reason: `no adapter: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}

/**
 * A human name for the status bar and the training view: the device, else the description, then
 * vendor and architecture. Dawn on NVIDIA/Vulkan gives device 'nvidia-h200', an empty
 * architecture and the driver version as the description (seen on the GPU check).
 */
export function gpuName(a: GpuAdapterInfo): string {
  const name = a.device || a.description || a.vendor;
  const extra = [a.vendor !== name && a.vendor, a.architecture].filter(Boolean).join(', ');
  return extra ? `${name} (${extra})` : name;
}
