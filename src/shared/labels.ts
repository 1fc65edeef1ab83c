/** The three classes, in the model's output order. */
export const LABELS = ['COVID19', 'NORMAL', 'PNEUMONIA'] as const;
export type Label = (typeof LABELS)[number];

export const LABEL_NAMES: Record<Label, string> = {
  COVID19: 'COVID-19',
  NORMAL: 'Normal',
  PNEUMONIA: 'Pneumonia',
};

/** Folder names that mean a class (any case), for `--labels-from-folders` and `--data`. */
export function labelFromFolderName(name: string): Label | undefined {
  const n = name.toUpperCase().replace(/[-_ ]/g, '');
  if (n === 'COVID19' || n === 'COVID') return 'COVID19';
  if (n === 'NORMAL') return 'NORMAL';
  if (n === 'PNEUMONIA') return 'PNEUMONIA';
  return undefined;
}
