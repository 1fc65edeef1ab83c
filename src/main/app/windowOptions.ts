/**
 * The BrowserWindow settings and the navigation policy, kept free of 'electron' so a test can read
 * them and fail if a setting of Electron's security checklist is weakened.
 */
export const secureWebPreferences = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const;

export function windowOptions(preloadPath: string, iconPath?: string) {
  return {
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    backgroundColor: '#0b0d10',
    title: 'CXR Triage',
    autoHideMenuBar: true,
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: { ...secureWebPreferences, preload: preloadPath },
  };
}

/**
 * The dev server URL electron-vite passes in ELECTRON_RENDERER_URL, honoured only in an unpackaged
 * (development) app and only on a loopback http(s) origin; a packaged app ignores it.
 */
export function devServerUrlFrom(envUrl: string | undefined, isPackaged: boolean): string | undefined {
  if (isPackaged || !envUrl) return undefined;
  try {
    const url = new URL(envUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Is `frameUrl` our own renderer? In development that is the electron-vite dev server (same
 * origin); otherwise the app's index.html on its own scheme and host, `app://renderer/index.html`.
 * Scheme, host and path are all checked: file:// (any host) and other hosts on app:// are refused.
 */
export function isTrustedRendererUrl(frameUrl: string, opts: { devServerUrl?: string; entryUrl: string }): boolean {
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (opts.devServerUrl) {
    const dev = new URL(opts.devServerUrl);
    if (url.origin === dev.origin && url.origin !== 'null') return true;
  }
  const want = new URL(opts.entryUrl);
  if (url.username || url.password || url.port !== want.port) return false;
  return url.protocol === want.protocol && url.host === want.host && url.pathname === want.pathname;
}

/** Permission requests (camera, notifications, geolocation …) are all denied: the app needs none. */
export const allowedPermissions: readonly string[] = [];
