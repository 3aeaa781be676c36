// N copies of the example platform (3 stacks each) in one app:
// `node lib/src/fast-synth/cli.js bench/scaling-app.ts N` (what `npm run bench` runs).
import { App } from 'cdktf';
import { Cloud } from '../src';
import { Platform } from '../examples/platform/platform';

const copies = Number(process.argv[2] ?? '1');
// No stack traces in annotations: they would put this machine's paths into cdktf.out/manifest.json.
const app = new App({ stackTraces: false });
for (let i = 0; i < copies; i++) {
  new Platform(app, `platform-aws-${i}`, { cloud: Cloud.aws({ region: 'us-east-1' }) });
  new Platform(app, `platform-gcp-${i}`, { cloud: Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }) });
  new Platform(app, `platform-azure-${i}`, { cloud: Cloud.azure({ location: 'eastus2' }) });
}
app.synth();
