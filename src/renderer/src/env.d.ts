/// <reference types="vite/client" />
import type { CxrApi } from '../../shared/contract';

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

/**
 * Folder drag-and-drop: the desktop preload resolves the dropped File to its path (Electron's
 * webUtils.getPathForFile), main checks it is a folder and allows it as an import root, and only
 * that folder's path comes back. Absent in the browser harness.
 */
interface CxrDropApi {
  registerDroppedFolder(file: File): Promise<{ folder: string | null }>;
}

declare global {
  interface Window {
    /** The preload's API (or the browser harness's stand-in for it). */
    cxr: CxrApi;
    cxrDrop?: CxrDropApi;
  }
}
