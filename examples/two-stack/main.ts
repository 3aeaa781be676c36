// Two stacks joined by cross-stack references: `cdktf deploy infra-aws workloads-aws` applies them in order.
// Synthesize without credentials: `npm run build && node lib/examples/two-stack/main.js` (writes
// cdktf.out/stacks/infra-aws and cdktf.out/stacks/workloads-aws), or point cdktf.json's "app" here.
import { App } from 'cdktf';
import { buildTwoStackApp } from './stacks';

// No stack traces in annotations: they would put this machine's paths into cdktf.out/manifest.json.
const app = new App({ stackTraces: false });
buildTwoStackApp(app);
app.synth();
