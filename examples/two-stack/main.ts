// Two stacks joined by cross-stack references: `cdktf deploy infra-aws workloads-aws` applies them in order.
import { App } from 'cdktf';
import { buildTwoStackApp } from './stacks';

const app = new App();
buildTwoStackApp(app);
app.synth();
