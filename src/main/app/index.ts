import { app, BrowserWindow, dialog, protocol, safeStorage, session } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices } from '../services/services';
import { createHandlers } from '../ipc/handlers';
import { bindIpc } from './ipc';
import { allowedPermissions, devServerUrlFrom, isTrustedRendererUrl, windowOptions } from './windowOptions';
import { instanceDecision } from './singleInstance';
import { RENDERER_ENTRY_URL, RENDERER_SCHEME, RENDERER_SCHEME_PRIVILEGES, rendererHandler } from './rendererProtocol';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '../renderer');
// The dev server only in development: a packaged app never loads a URL from its environment.
const devServerUrl = devServerUrlFrom(process.env.ELECTRON_RENDERER_URL, app.isPackaged);
const trustOpts = { devServerUrl, entryUrl: RENDERER_ENTRY_URL };

app.enableSandbox();
// The renderer is served on app://renderer/ (protocol.handle below), never from file://.
protocol.registerSchemesAsPrivileged([{ scheme: RENDERER_SCHEME, privileges: RENDERER_SCHEME_PRIVILEGES }]);

async function main(): Promise<void> {
  const dataDir = process.env.CXR_DATA_DIR ?? app.getPath('userData');
  const instance = instanceDecision(app.requestSingleInstanceLock(), dataDir);
  if (!instance.run) {
    console.error(instance.message);
    dialog.showErrorBox(instance.title, instance.message);
    app.exit(0);
    return;
  }
  let win: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });
  await app.whenReady();
  protocol.handle(RENDERER_SCHEME, rendererHandler(rendererDir));
  const services = createServices({
    dataDir,
    electronVersion: process.versions.electron,
    // PACS passwords and tokens: encrypted with the OS keychain, never plain in the catalog.
    secretStore: safeStorage,
    chooseFolder: async () => {
      const res = await dialog.showOpenDialog(win!, { title: 'Import a folder of chest X-rays', properties: ['openDirectory'] });
      return res.canceled ? null : (res.filePaths[0] ?? null);
    },
    chooseSaveFile: async ({ defaultName, filters }) => {
      const res = await dialog.showSaveDialog(win!, { defaultPath: defaultName, filters });
      return res.canceled ? null : (res.filePath ?? null);
    },
  });
  const handlers = createHandlers(services);
  const trusted = (url: string) => isTrustedRendererUrl(url, trustOpts);
  bindIpc(handlers, services, trusted);
  // The DICOM receiver listens from launch when enabled in Settings; a failure shows in Settings.
  services.pacs.applyReceiverSettings().catch(() => {});

  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(allowedPermissions.includes(permission)),
  );
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => allowedPermissions.includes(permission));

  win = new BrowserWindow(
    windowOptions(path.join(here, '../preload/index.cjs'), path.join(here, '../../resources/icon.png')),
  );
  win.once('ready-to-show', () => win?.show());
  if (devServerUrl) await win.loadURL(devServerUrl);
  else await win.loadURL(RENDERER_ENTRY_URL);

  app.on('window-all-closed', async () => {
    // Every worker thread ends; a run still training is recorded 'failed' now rather than at the next start.
    try {
      await services.close();
    } finally {
      app.quit();
    }
  });
}

// Deny navigation away from the app and every new window, for all web contents ever created.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedRendererUrl(url, trustOpts)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

main().catch((err) => {
  console.error('CXR Triage failed to start:', err instanceof Error ? err.message : err);
  app.exit(1);
});
