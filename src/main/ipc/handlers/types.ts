import type { Channel, RequestOf, ResponseOf } from '../../../shared/contract';

/** The typed implementation of every channel; a group's file returns its own slice. */
export type Impl = { [C in Channel]: (req: RequestOf<C>) => Promise<ResponseOf<C>> };
export type GroupImpl<G extends string> = { [C in Channel as C extends `${G}.${string}` ? C : never]: Impl[C] };
