/**
 * Predicts the images an import added. Uses the prediction group's `predict.images` where the
 * contract has it; otherwise reports that prediction is not available in this build.
 */
export interface PredictProgressView {
  done: number;
  total: number;
  state: 'running' | 'done' | 'unavailable' | 'failed';
  message?: string;
}

interface PredictGroup {
  images?: (req: Record<string, unknown>) => Promise<unknown>;
}

export async function predictNewImages(onProgress: (p: PredictProgressView) => void): Promise<void> {
  const predict = (window.cxr as unknown as { predict?: PredictGroup }).predict;
  if (!predict?.images) {
    onProgress({ done: 0, total: 0, state: 'unavailable', message: 'Prediction is not available in this build' });
    return;
  }
  onProgress({ done: 0, total: 0, state: 'running' });
  let off = () => {};
  try {
    off = window.cxr.on('predict.progress' as never, ((p: { done: number; total: number }) =>
      onProgress({ done: p.done, total: p.total, state: p.done >= p.total ? 'done' : 'running' })) as never);
  } catch {
    // An older contract without the event: progress shows as running until the call returns.
  }
  try {
    // No ids: the prediction group predicts every eligible image that has no prediction yet.
    await predict.images({});
    onProgress({ done: 1, total: 1, state: 'done' });
  } finally {
    off();
  }
}
