// `yaml` (72 modules) is loaded on first use rather than when the library is imported: only synth
// renders YAML, and `require('cdktf-ai-infra')` has an import-time budget (DESIGN: performance).
import type * as Yaml from 'yaml';

/** `yaml.stringify`, loaded lazily. */
export const stringify = ((...args: unknown[]) =>
  (require('yaml') as typeof Yaml).stringify(...(args as Parameters<typeof Yaml.stringify>))) as typeof Yaml.stringify;
