/**
 * Burnt-in annotations for training: the side markers, view labels, dates and lead-letter boxes
 * that radiographs carry in their corners. Sources differ in them (Spanish "DCHA" markers on one
 * COVID-19 set, "PORTABLE" on inpatient films), so a model can use them to tell sources, and so
 * classes, apart; pasting them at random on every class takes that cue away. A 5×7 pixel font keeps
 * this free of font files and the same on every machine.
 */

// 5×7 glyphs, one string of 7 rows per character ('#' = ink).
const GLYPHS: Record<string, string> = {
  A: '.###.#...##...#######...##...##...#', B: '####.#...##...#####.#...##...#####.', C: '.###.#...##....#....#....#...#.###.',
  D: '####.#...##...##...##...##...#####.', E: '######....#....####.#....#....#####', F: '######....#....####.#....#....#....',
  G: '.###.#...##....#.####...##...#.####', H: '#...##...##...#######...##...##...#', I: '.###...#....#....#....#....#...###.',
  J: '..###...#....#....#....#.#..#..##..', K: '#...##..#.#.#..##...#.#..#..#.#...#', L: '#....#....#....#....#....#....#####',
  M: '#...###.###.#.##.#.##...##...##...#', N: '#...##...###..##.#.##..###...##...#', O: '.###.#...##...##...##...##...#.###.',
  P: '####.#...##...#####.#....#....#....', Q: '.###.#...##...##...##.#.##..#..##.#', R: '####.#...##...#####.#.#..#..#.#...#',
  S: '.#####....#.....###.....#....#####.', T: '#####..#....#....#....#....#....#..', U: '#...##...##...##...##...##...#.###.',
  V: '#...##...##...##...##...#.#.#...#..', W: '#...##...##...##.#.##.#.##.#.#.#.#.', X: '#...##...#.#.#...#...#.#.#...##...#',
  Y: '#...##...#.#.#...#....#....#....#..', Z: '#####....#...#...#...#...#....#####', '0': '.###.#...##..###.#.###..##...#.###.',
  '1': '..#...##....#....#....#....#...###.', '2': '.###.#...#....#...#...#...#...#####', '3': '#####...#...#.....#.....##...#.###.',
  '4': '...#...##..#.#.#..#.#####...#....#.', '5': '######....####.....#....##...#.###.', '6': '..##..#...#....####.#...##...#.###.',
  '7': '#####....#...#...#...#....#....#...', '8': '.###.#...##...#.###.#...##...#.###.', '9': '.###.#...##...#.####....#...#..##..',
  '/': '.........#...#...#...#...#.........', '-': '...............#####...............', ':': '......##...##........##...##.......',
  '.': '..........................##...##..', ' ': '...................................',
};
const W = 5;
const H = 7;

/** Words radiographs carry: side and view markers, positions, modality, dates, lead letters. */
const VOCABULARY = [
  'L', 'R', 'D', 'I', 'AP', 'PA', 'DCHA', 'IZQ', 'PORTABLE', 'SUPINE', 'ERECT', 'UPRIGHT', 'SEMI-ERECT',
  'BEDSIDE', 'AP SUPINE', 'PA ERECT', 'CR', 'DX', 'CHEST', 'INSP', 'L-R', '1', '2', '12/03/20', '2020-04-11', '14:32',
];

export interface TextStamp {
  /** Row-major alpha mask, 1 = ink. */
  mask: Uint8Array;
  width: number;
  height: number;
}

/** Renders one word at an integer scale, with an optional solid box (a lead marker). */
export function stamp(word: string, scale: number, boxed: boolean): TextStamp {
  const pad = boxed ? 2 : 0;
  const width = (word.length * (W + 1) - 1 + 2 * pad) * scale;
  const height = (H + 2 * pad) * scale;
  const mask = new Uint8Array(width * height);
  if (boxed) mask.fill(1);
  [...word].forEach((ch, k) => {
    const g = GLYPHS[ch] ?? GLYPHS[' ']!;
    for (let gy = 0; gy < H; gy++) {
      for (let gx = 0; gx < W; gx++) {
        if (g[gy * W + gx] !== '#') continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const x = (pad + k * (W + 1) + gx) * scale + sx;
            const y = (pad + gy) * scale + sy;
            // In a box the letter is cut out of the ink, as on a lead marker.
            mask[y * width + x] = boxed ? 0 : 1;
          }
        }
      }
    }
  });
  return { mask, width, height };
}

/**
 * Paints 1–3 random words into the corners of a size×size [0,1] plane: bright (as burnt-in text
 * and markers are) or, less often, dark.
 */
export function paintRandomText(plane: Float32Array, size: number, rand: () => number): void {
  const n = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < n; k++) {
    const word = VOCABULARY[Math.floor(rand() * VOCABULARY.length)]!;
    // Burnt-in text is small beside the lungs: 7–14 px letters at 128 px, no word past 45 % of the side.
    const scale = size >= 96 && rand() < 0.35 ? 2 : 1;
    const s = stamp(word, scale, rand() < 0.25);
    if (s.width > 0.45 * size || s.height > 0.2 * size) continue;
    const right = rand() < 0.5;
    const bottom = rand() < 0.5;
    const margin = Math.floor(size * 0.12);
    const x0 = right ? size - s.width - Math.floor(rand() * margin) : Math.floor(rand() * margin);
    const y0 = bottom ? size - s.height - Math.floor(rand() * margin) : Math.floor(rand() * margin);
    const ink = rand() < 0.8 ? 0.75 + rand() * 0.25 : rand() * 0.1;
    for (let y = 0; y < s.height; y++) {
      for (let x = 0; x < s.width; x++) if (s.mask[y * s.width + x]) plane[(y0 + y) * size + x0 + x] = ink;
    }
  }
}
