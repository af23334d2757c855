// What the cause finders and the fix writers share about one check run (causes.ts, fix-text.ts).
import type { WorldConfig } from '../sim/world.ts';
import type { Built } from '../scenario/build.ts';
import type { RouterView } from './model.ts';
import type { Lang } from './words.ts';

export interface Ctx {
  readonly world: WorldConfig;
  readonly built: Built;
  readonly routers: readonly RouterView[];
  readonly lang: Lang;
}
