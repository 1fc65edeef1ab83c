/**
 * MONOCHROME1 shows its lowest value as white. The inversion is applied to display values after
 * VOI, and only here: the rest of the pipeline never looks at the photometric interpretation.
 */
export function invertMonochrome1(display: Uint8Array): Uint8Array {
  for (let i = 0; i < display.length; i++) display[i] = 255 - display[i]!;
  return display;
}
