/** The twin of examples/quickstart (Google Cloud; describe-twin.ts: every check, each with its failing fixture). */
import { describeTwin } from './describe-twin';

describeTwin('examples/quickstart');
