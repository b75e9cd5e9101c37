// A Worker using the package's Workers entry (the .wasm imported as a compiled module).
import { SplitFactory } from '../../../npm/dist/workers.mjs';
import splitChanges from '../../../demo/splits.json';

let sdk;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (!sdk) sdk = SplitFactory({ data: { splitChanges } });
    if (url.pathname === '/update') {
      try {
        return Response.json(sdk.updateSplitChanges(await request.text()));
      } catch (e) {
        return new Response(e.message, { status: 400 });
      }
    }
    const key = url.searchParams.get('key') ?? 'anonymous';
    const flags = sdk.manager().names();
    const treatments = sdk.client().getTreatmentsWithConfig(key, flags, { plan: url.searchParams.get('plan') ?? 'free' });
    return Response.json({ treatments, explain: sdk.client().explain(key, flags[0]) });
  },
};
