// The example platform: the same AI platform on AWS, Google Cloud and Azure, one stack each.
// `npm run synth` writes cdktf.out/stacks/platform-{aws,gcp,azure}/cdk.tf.json (no credentials needed).
import { App } from 'cdktf';
import { buildPlatformApp } from './platform';

const app = new App();
buildPlatformApp(app);
app.synth();
