/** The twin of examples/two-stack (AWS: the cluster's stack and the one that deploys onto it; describe-twin.ts). */
import { describeTwin } from './describe-twin';

describeTwin('examples/two-stack');
