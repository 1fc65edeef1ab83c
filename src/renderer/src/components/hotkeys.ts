/**
 * Every keyboard shortcut, as data: the key, the named command it runs, where it applies and what
 * it does. Views register handlers for command names; the help overlay (?) lists this table, so
 * what is shown is exactly what is bound. Rebinding a key means editing one row.
 */
export type HotkeyScope = 'global' | 'viewer' | 'review';

export interface Hotkey {
  /** KeyboardEvent.key values (case-insensitive for letters). */
  keys: string[];
  command: string;
  scope: HotkeyScope;
  description: string;
}

export const HOTKEYS: readonly Hotkey[] = [
  { keys: ['?'], command: 'help.toggle', scope: 'global', description: 'Show or hide this help' },
  { keys: ['Escape'], command: 'help.close', scope: 'global', description: 'Close help / leave the viewer' },
  { keys: ['1'], command: 'view.preset1', scope: 'viewer', description: 'Window preset 1: full range' },
  { keys: ['2'], command: 'view.preset2', scope: 'viewer', description: 'Window preset 2: lung' },
  { keys: ['3'], command: 'view.preset3', scope: 'viewer', description: 'Window preset 3: mediastinum' },
  { keys: ['4'], command: 'view.preset4', scope: 'viewer', description: 'Window preset 4: bone / high contrast' },
  { keys: ['5'], command: 'view.preset5', scope: 'viewer', description: 'Window preset 5: soft, low contrast' },
  { keys: ['z', '+'], command: 'view.zoomIn', scope: 'viewer', description: 'Zoom in (also mouse wheel)' },
  { keys: ['-'], command: 'view.zoomOut', scope: 'viewer', description: 'Zoom out' },
  { keys: ['='], command: 'view.fit', scope: 'viewer', description: 'Fit the image to the window' },
  { keys: ['i'], command: 'view.invert', scope: 'viewer', description: 'Invert grey levels' },
  { keys: [' '], command: 'view.reset', scope: 'viewer', description: 'Reset window/level, zoom and pan' },
  { keys: ['h'], command: 'view.heatmap', scope: 'viewer', description: 'Heatmap overlay on/off' },
  { keys: ['ArrowUp'], command: 'study.prevImage', scope: 'viewer', description: 'Previous image of the study' },
  { keys: ['ArrowDown'], command: 'study.nextImage', scope: 'viewer', description: 'Next image of the study' },
  { keys: ['c'], command: 'review.covid', scope: 'review', description: 'Label COVID-19' },
  { keys: ['n'], command: 'review.normal', scope: 'review', description: 'Label Normal' },
  { keys: ['p'], command: 'review.pneumonia', scope: 'review', description: 'Label Pneumonia' },
  { keys: ['Enter'], command: 'review.confirm', scope: 'review', description: "Confirm the model's class" },
  { keys: ['s'], command: 'review.skip', scope: 'review', description: 'Skip (stays in the queue)' },
  { keys: ['ArrowLeft'], command: 'review.prev', scope: 'review', description: 'Previous case' },
  { keys: ['ArrowRight'], command: 'review.next', scope: 'review', description: 'Next case' },
];

/** Mouse gestures shown in the help beside the keys. */
export const GESTURES: readonly { gesture: string; description: string }[] = [
  { gesture: 'Right-drag', description: 'Window/level: horizontal = width, vertical = level' },
  { gesture: 'Left-drag', description: 'Pan' },
  { gesture: 'Wheel', description: 'Zoom about the pointer' },
];

/** Window/level presets on the normalised 8-bit rendering (width, centre in grey levels). */
export const WINDOW_PRESETS: readonly { name: string; width: number; center: number }[] = [
  { name: 'Full range', width: 256, center: 128 },
  { name: 'Lung', width: 160, center: 96 },
  { name: 'Mediastinum', width: 120, center: 160 },
  { name: 'Bone', width: 90, center: 180 },
  { name: 'Soft', width: 380, center: 128 },
];

/** The parts of a KeyboardEvent the table looks at (plain data, so the table is testable in Node). */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

/** The command a key press runs in the given scopes, or undefined. */
export function commandFor(e: KeyPress, scopes: readonly HotkeyScope[]): string | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey) return undefined;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  return HOTKEYS.find((h) => scopes.includes(h.scope) && h.keys.some((k) => (k.length === 1 ? k.toLowerCase() : k) === key))?.command;
}
