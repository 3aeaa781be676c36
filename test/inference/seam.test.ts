// Issue 17: the inference endpoint reaches its per-cloud half only through the cloud registry and its types-only
// spi; the clouds reach back only into that spi (never the construct's internals).
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { inference as awsInference } from '../../src/clouds/aws/inference';
import { inference as azureInference } from '../../src/clouds/azure/inference';
import { inference as gcpInference } from '../../src/clouds/gcp/inference';
import { targetFor } from '../../src/clouds/registry';
import { CLOUDS } from './helpers';

const SRC = path.join(__dirname, '../../src');
const read = (rel: string) => fs.readFileSync(path.join(SRC, rel), 'utf8');
const inferenceFiles = fs.readdirSync(path.join(SRC, 'inference')).filter((f) => f.endsWith('.ts')).map((f) => `inference/${f}`);
const importsOf = (text: string) => [...text.matchAll(/(?:from|require\()\s*'([^']+)'/g)].map((m) => m[1]);

describe('inference cloud seam', () => {
  test('targetFor(cloud).inference is that cloud\'s one `inference` const', () => {
    expect(targetFor(CLOUDS.aws()).inference).toBe(awsInference);
    expect(targetFor(CLOUDS.gcp()).inference).toBe(gcpInference);
    expect(targetFor(CLOUDS.azure()).inference).toBe(azureInference);
  });

  test('src/inference names no cloud: no select arms, no per-cloud or provider imports', () => {
    for (const file of inferenceFiles) {
      const text = read(file);
      expect({ file, select: /\.select\s*[(<]/.test(text) }).toEqual({ file, select: false });
      expect({ file, imports: importsOf(text).filter((i) => /@cdktf\/provider-|clouds\/(aws|gcp|azure)\b/.test(i)) }).toEqual({ file, imports: [] });
    }
  });

  test('spi.ts is types only: nothing of it is left after compilation', () => {
    const js = ts.transpileModule(read('inference/spi.ts'), { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
    const code = js.split('\n').filter((l) => l.trim() && !l.trim().startsWith('//') && !/^"use strict";$|__esModule/.test(l.trim()));
    expect(code).toEqual([]);
  });

  test('the clouds\' inference code imports from src/inference only its spi', () => {
    const files = ['clouds/aws/inference.ts', 'clouds/gcp/inference.ts', 'clouds/azure/inference.ts', 'clouds/helm/inference-addons.ts'];
    for (const file of files) {
      const fromInference = importsOf(read(file)).filter((i) => /\/inference\//.test(i));
      expect({ file, fromInference }).toEqual({ file, fromInference: fromInference.length ? ['../../inference/spi'] : [] });
    }
  });
});
