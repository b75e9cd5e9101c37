// What the OpenFeature tests share: a conformance request as an OpenFeature evaluation context,
// and whether an OpenFeature resolution is the official SDK's get-treatment-with-config answer.

/**
 * The OpenFeature context of a corpus request, or null when OpenFeature cannot express it
 * (attributes that are not an object, or that name `targetingKey`/`bucketingKey`; with
 * `urlSafe`, a flag name that is not a URL path segment as is).
 */
export function contextOf(req, { urlSafe = false } = {}) {
  const attrs = req.attributes;
  if (attrs !== undefined && attrs !== null && (typeof attrs !== 'object' || Array.isArray(attrs))) return null;
  if (attrs && ('targetingKey' in attrs || 'bucketingKey' in attrs)) return null;
  if (typeof req.flag !== 'string' || (urlSafe && encodeURIComponent(req.flag) !== req.flag)) return null;
  const ctx = { ...(attrs ?? {}) };
  if (req.key !== undefined) ctx.targetingKey = req.key;
  if ('bucketingKey' in req && req.bucketingKey !== undefined) ctx.bucketingKey = req.bucketingKey;
  return ctx;
}

/** Whether an OpenFeature string resolution (default `'default'`) is the expected answer. */
export function matches(details, exp) {
  if (exp.treatment === 'control') {
    // Rejected inputs, missing flags and exceptions: OpenFeature's default with an error code.
    const code = exp.label === 'definition not found' ? 'FLAG_NOT_FOUND' : exp.label === null ? /INVALID_CONTEXT|TARGETING_KEY_MISSING/ : 'GENERAL';
    return details.value === 'default' && (code instanceof RegExp ? code.test(details.errorCode) : details.errorCode === code);
  }
  return details.value === exp.treatment && details.variant === exp.treatment && (details.flagMetadata?.config ?? null) === exp.config
    && typeof details.flagMetadata?.label === 'string' && details.flagMetadata.label === exp.label;
}
