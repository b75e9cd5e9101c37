/**
 * An OpenFeature server provider over split-edge (`split-edge/openfeature`), for
 * `@openfeature/server-sdk`:
 *
 * ```js
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { SplitFactory } from 'split-edge';
 * import { SplitEdgeProvider } from 'split-edge/openfeature';
 * await OpenFeature.setProviderAndWait(new SplitEdgeProvider(SplitFactory({ core: { authorizationKey } })));
 * const on = await OpenFeature.getClient().getBooleanValue('new_checkout', false, { targetingKey: 'alice' });
 * ```
 *
 * Mapping (the core's, shared with the Worker's OFREP routes): the variant is the treatment;
 * booleans from `on`/`off` and `true`/`false` treatments, numbers from numeric treatments,
 * strings are the treatment, objects the treatment's config parsed (another treatment is
 * `TYPE_MISMATCH`). Reasons: `DISABLED` (killed), `SPLIT`, `TARGETING_MATCH`, `DEFAULT`,
 * `ERROR` (a fallback treatment); flag metadata `label`, `changeNumber`, `config`.
 * @packageDocumentation
 */
import {
  OpenFeatureEventEmitter,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { ProviderBase, type SplitEdgeProviderOptions } from './openfeature-common.js';

export type { SplitEdgeProviderOptions };

/** The server provider: `OpenFeature.setProvider(new SplitEdgeProvider(factory))`. */
export class SplitEdgeProvider extends ProviderBase implements Provider {
  /** Runs on servers (`@openfeature/server-sdk`). */
  readonly runsOn = 'server' as const;
  /** Ready, configuration changed (after an update or a synchronization), error. */
  readonly events = new OpenFeatureEventEmitter();

  /** A boolean flag: `on`/`true` and `off`/`false` treatments. */
  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.core.resolve('boolean', flagKey, defaultValue, context);
  }

  /** A string flag: the treatment. */
  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.core.resolve('string', flagKey, defaultValue, context);
  }

  /** A number flag: a numeric treatment. */
  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.core.resolve('number', flagKey, defaultValue, context);
  }

  /** An object flag: the treatment's config, parsed. */
  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return this.core.resolve('object', flagKey, defaultValue, context);
  }
}
