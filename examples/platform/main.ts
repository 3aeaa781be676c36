// The example platform: the same AI platform on AWS, Google Cloud and Azure, one stack each.
// `npm run synth` writes cdktf.out/stacks/platform-{aws,gcp,azure}/cdk.tf.json (no credentials needed).
import { App } from 'cdktf';
import { buildPlatformApp } from './platform';

// No stack traces in annotations: they would put this machine's paths into cdktf.out/manifest.json.
const app = new App({ stackTraces: false });
buildPlatformApp(app);
app.synth();
