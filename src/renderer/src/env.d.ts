/// <reference types="vite/client" />
import type { CxrApi } from '../../shared/contract';

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare global {
  interface Window {
    /** The preload's API (or the browser harness's stand-in for it). */
    cxr: CxrApi;
  }
}
