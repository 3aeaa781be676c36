/** The twin of examples/platform's Google Cloud stack (describe-twin.ts: every check, each with its failing fixture). */
import { describeTwin } from './describe-twin';

describeTwin('examples/platform', 'platform-gcp');
