import type { useViewerStore } from './viewerStore';

/** The viewer's named commands (see hotkeys.ts), shared by the viewer and review mode. */
export function viewerCommands(vs: ReturnType<typeof useViewerStore>, heatmapReady: () => boolean): Record<string, () => void> {
  return {
    'view.preset1': () => vs.applyPreset(1),
    'view.preset2': () => vs.applyPreset(2),
    'view.preset3': () => vs.applyPreset(3),
    'view.preset4': () => vs.applyPreset(4),
    'view.preset5': () => vs.applyPreset(5),
    'view.zoomIn': () => vs.zoomBy(1.25),
    'view.zoomOut': () => vs.zoomBy(1 / 1.25),
    'view.fit': () => vs.fit(),
    'view.invert': () => (vs.invert = !vs.invert),
    'view.reset': () => vs.reset(),
    'view.heatmap': () => {
      if (heatmapReady()) vs.heatmapOn = !vs.heatmapOn;
    },
  };
}
