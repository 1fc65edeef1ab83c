import { z } from 'zod';
import {
  CHANNELS,
  operations,
  type Channel,
  type Group,
} from '../../../shared/contract';
import { CxrError, type IpcResult } from '../../../shared/errors';
import type { Services } from '../../services/services';
import type { Impl } from './types';
import { systemHandlers } from './system';
import { predictHandlers } from './predict';
import { worklistHandlers } from './worklist';
import { imageHandlers } from './image';
import { reviewHandlers } from './review';
import { exportHandlers } from './export';
import { settingsHandlers } from './settings';
import { importHandlers } from './import';
import { trainingHandlers } from './training';
import { modelsHandlers } from './models';
import { pacsHandlers } from './pacs';

/** One raw handler per channel: validates the payload, runs the operation, returns a typed result. */
export type HandlerMap = Record<Channel, (payload: unknown) => Promise<IpcResult<unknown>>>;

/** Each group's operations live in ipc/handlers/<group>.ts; add a group here. */
function implementations(s: Services): Impl {
  return { ...systemHandlers(s), ...predictHandlers(s), ...worklistHandlers(s), ...imageHandlers(s), ...reviewHandlers(s), ...exportHandlers(s), ...settingsHandlers(s), ...importHandlers(s), ...trainingHandlers(s), ...modelsHandlers(s), ...pacsHandlers(s) };
}

function schemaFor(channel: Channel): z.ZodType {
  const [g, n] = channel.split('.') as [Group, string];
  return (operations[g] as Record<string, { request: z.ZodType }>)[n]!.request;
}

function toShape(err: unknown): IpcResult<never> {
  if (err instanceof CxrError) return { ok: false, error: err.toShape() };
  // Unexpected errors: say what failed without dumping internals (or patient data) to the renderer.
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, error: { code: 'INTERNAL', message: message.slice(0, 500) } };
}

/**
 * Builds the handler map that ipc.ts binds to ipcMain and that the tests and the browser harness
 * call directly. Never throws: every outcome is an IpcResult.
 */
export function createHandlers(s: Services): HandlerMap {
  const impl = implementations(s) as Record<Channel, (req: unknown) => Promise<unknown>>;
  const map = {} as HandlerMap;
  for (const channel of CHANNELS) {
    const schema = schemaFor(channel);
    map[channel] = async (payload: unknown) => {
      const parsed = schema.safeParse(payload ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({
          path: i.path.map(String).join('.') || '(root)',
          message: i.message,
        }));
        return {
          ok: false,
          error: {
            code: 'INVALID_PAYLOAD',
            message: `${channel}: invalid payload: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`.slice(0, 1000),
            issues: issues.slice(0, 20),
          },
        };
      }
      try {
        return { ok: true, value: await impl[channel](parsed.data) };
      } catch (err) {
        return toShape(err);
      }
    };
  }
  return map;
}

/** Looks a channel up without trusting the caller's string. */
export function handlerFor(map: HandlerMap, channel: unknown): HandlerMap[Channel] | undefined {
  return typeof channel === 'string' && Object.prototype.hasOwnProperty.call(map, channel)
    ? map[channel as Channel]
    : undefined;
}
