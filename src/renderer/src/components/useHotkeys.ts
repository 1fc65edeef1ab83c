import { onBeforeUnmount, onMounted } from 'vue';
import { commandFor, type HotkeyScope } from './hotkeys';

/** True when the key belongs to a text field, not to the app's shortcuts. */
function typingInField(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}

/**
 * Runs the named commands of `scopes` while the calling component is mounted. Handlers are looked
 * up by command name from hotkeys.ts, never by key, so the table stays the one place keys live.
 */
export function useHotkeys(scopes: readonly HotkeyScope[], handlers: Record<string, () => void>): void {
  const onKey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || typingInField(e)) return;
    const command = commandFor(e, scopes);
    const run = command ? handlers[command] : undefined;
    if (!run) return;
    e.preventDefault();
    run();
  };
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
