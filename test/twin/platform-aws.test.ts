/** The twin of examples/platform's AWS stack (describe-twin.ts: every check, each with its failing fixture). */
import { describeTwin } from './describe-twin';

describeTwin('examples/platform', 'platform-aws');
