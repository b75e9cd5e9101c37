/**
 * An OpenFeature web provider over split-edge (`split-edge/openfeature/web`), for
 * `@openfeature/web-sdk`: evaluations are local and synchronous, so a context change needs no
 * fetch.
 *
 * ```js
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { init, SplitFactory } from 'split-edge/web';
 * import { SplitEdgeWebProvider } from 'split-edge/openfeature/web';
 * await init();
 * await OpenFeature.setContext({ targetingKey: 'alice' });
 * await OpenFeature.setProviderAndWait(new SplitEdgeWebProvider(SplitFactory({ data })));
 * const on = OpenFeature.getClient().getBooleanValue('new_checkout', false);
 * ```
 *
 * The mapping is the server provider's (`split-edge/openfeature`).
 * @packageDocumentation
 */
import {
  OpenFeatureEventEmitter,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/web-sdk';
import { ProviderBase, type SplitEdgeProviderOptions } from './openfeature-common.js';

export type { SplitEdgeProviderOptions };

/** The web provider: `OpenFeature.setProvider(new SplitEdgeWebProvider(factory))`. */
export class SplitEdgeWebProvider extends ProviderBase implements Provider {
  /** Runs in clients (`@openfeature/web-sdk`). */
  readonly runsOn = 'client' as const;
  /** Ready, configuration changed (after an update or a synchronization), error. */
  readonly events = new OpenFeatureEventEmitter();

  /** A boolean flag: `on`/`true` and `off`/`false` treatments. */
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): ResolutionDetails<boolean> {
    return this.core.resolve('boolean', flagKey, defaultValue, context);
  }

  /** A string flag: the treatment. */
  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): ResolutionDetails<string> {
    return this.core.resolve('string', flagKey, defaultValue, context);
  }

  /** A number flag: a numeric treatment. */
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): ResolutionDetails<number> {
    return this.core.resolve('number', flagKey, defaultValue, context);
  }

  /** An object flag: the treatment's config, parsed. */
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): ResolutionDetails<T> {
    return this.core.resolve('object', flagKey, defaultValue, context);
  }
}
