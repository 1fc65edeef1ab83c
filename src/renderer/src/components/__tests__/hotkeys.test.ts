import { describe, expect, it } from 'vitest';
import { commandFor, HOTKEYS, WINDOW_PRESETS, type HotkeyScope, type KeyPress } from '../hotkeys';

const key = (k: string, mods: Partial<KeyPress> = {}): KeyPress => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('hotkeys table', () => {
  it('binds each key to at most one command in any scopes a view uses together', () => {
    const together: HotkeyScope[][] = [['global', 'viewer'], ['global', 'viewer', 'review']];
    for (const scopes of together) {
      const seen = new Map<string, string>();
      for (const h of HOTKEYS.filter((x) => scopes.includes(x.scope))) {
        for (const k of h.keys) {
          const norm = k.length === 1 ? k.toLowerCase() : k;
          expect(seen.get(norm), `${k} bound to ${seen.get(norm)} and ${h.command}`).toBeUndefined();
          seen.set(norm, h.command);
        }
      }
    }
  });

  it('maps the review keys C/N/P, Enter, S and arrows to their commands, in either case', () => {
    expect(commandFor(key('c'), ['review'])).toBe('review.covid');
    expect(commandFor(key('N'), ['review'])).toBe('review.normal');
    expect(commandFor(key('p'), ['review'])).toBe('review.pneumonia');
    expect(commandFor(key('Enter'), ['review'])).toBe('review.confirm');
    expect(commandFor(key('s'), ['review'])).toBe('review.skip');
    expect(commandFor(key('ArrowLeft'), ['review'])).toBe('review.prev');
    expect(commandFor(key('ArrowRight'), ['review'])).toBe('review.next');
  });

  it('binds the viewer keys: presets 1-5, z/+/-, =, i, space, h, up/down', () => {
    const v: HotkeyScope[] = ['viewer'];
    expect(['1', '2', '3', '4', '5'].map((k) => commandFor(key(k), v))).toEqual(['view.preset1', 'view.preset2', 'view.preset3', 'view.preset4', 'view.preset5']);
    expect([commandFor(key('z'), v), commandFor(key('+'), v), commandFor(key('-'), v)]).toEqual(['view.zoomIn', 'view.zoomIn', 'view.zoomOut']);
    expect(commandFor(key('='), v)).toBe('view.fit');
    expect(commandFor(key('i'), v)).toBe('view.invert');
    expect(commandFor(key(' '), v)).toBe('view.reset');
    expect(commandFor(key('h'), v)).toBe('view.heatmap');
    expect([commandFor(key('ArrowUp'), v), commandFor(key('ArrowDown'), v)]).toEqual(['study.prevImage', 'study.nextImage']);
    expect(WINDOW_PRESETS).toHaveLength(5);
  });

  it('leaves modified keys (Ctrl+C) to the system', () => {
    expect(commandFor(key('c', { ctrlKey: true }), ['review'])).toBeUndefined();
    expect(commandFor(key('c'), ['viewer'])).toBeUndefined();
  });
});
