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
 * Is `frameUrl` our own renderer? In development that is the electron-vite dev server; packaged,
 * the app's own index.html. Anything else (a navigated or injected frame) is refused.
 */
export function isTrustedRendererUrl(frameUrl: string, opts: { devServerUrl?: string; rendererFile: string }): boolean {
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (opts.devServerUrl) {
    const dev = new URL(opts.devServerUrl);
    if (url.origin === dev.origin) return true;
  }
  if (url.protocol !== 'file:') return false;
  const want = new URL(`file://${opts.rendererFile.startsWith('/') ? '' : '/'}${opts.rendererFile.replace(/\\/g, '/')}`);
  return decodeURIComponent(url.pathname) === decodeURIComponent(want.pathname);
}

/** Permission requests (camera, notifications, geolocation …) are all denied: the app needs none. */
export const allowedPermissions: readonly string[] = [];
