#!/usr/bin/env node
// compare-synth.js <stock-dir> <other-dir> [label]: compares two synth output trees (cdktf.out) and exits 1
// with the differences. JSON files are compared parsed (key order and the formatting of empty [] / {} do not
// count); every other file byte for byte. Ignored, and nothing else: the core's version, which each core
// writes itself: `//.metadata.version` in stacks/*/cdk.tf.json and the top-level `version` of manifest.json.
'use strict';
const fs = require('fs');
const path = require('path');

const [stockDir, otherDir, label = 'other'] = process.argv.slice(2);
if (!stockDir || !otherDir) {
  console.error('usage: compare-synth.js <stock-dir> <other-dir> [label]');
  process.exit(2);
}

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out;
}

/** Removes the one field each core stamps with its own version; returns what was removed (for the report). */
function dropVersion(file, json) {
  if (/^stacks[\\/][^\\/]+[\\/]cdk\.tf\.json$/.test(file) && json['//'] && json['//'].metadata) {
    delete json['//'].metadata.version;
  } else if (file === 'manifest.json') {
    delete json.version;
  }
  return json;
}

const show = (v) => {
  const s = v === undefined ? 'missing' : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
};

function diff(a, b, at, out) {
  if (out.length >= 40) return;
  if (a === b) return;
  const kind = (v) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (kind(a) !== kind(b) || (kind(a) !== 'object' && kind(a) !== 'array')) {
    out.push(`${at}: stock ${show(a)}, ${label} ${show(b)}`);
    return;
  }
  const keys = kind(a) === 'array' ? [...Array(Math.max(a.length, b.length)).keys()] : [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) diff(a[k], b[k], `${at}${kind(a) === 'array' ? `[${k}]` : `.${JSON.stringify(k).slice(1, -1)}`}`, out);
}

const stock = files(stockDir);
const other = new Set(files(otherDir));
const problems = [];
for (const f of stock) if (!other.has(f)) problems.push(`${f}: only in the stock synth`);
for (const f of other) if (!stock.includes(f)) problems.push(`${f}: only in the ${label} synth`);
let compared = 0;
for (const f of stock.filter((x) => other.has(x))) {
  const a = fs.readFileSync(path.join(stockDir, f));
  const b = fs.readFileSync(path.join(otherDir, f));
  compared++;
  if (f.endsWith('.json')) {
    const out = [];
    diff(dropVersion(f, JSON.parse(a.toString('utf8'))), dropVersion(f, JSON.parse(b.toString('utf8'))), f, out);
    problems.push(...out);
  } else if (!a.equals(b)) {
    problems.push(`${f}: content differs (${a.length} bytes stock, ${b.length} bytes ${label})`);
  }
}
if (compared === 0) problems.push('no files to compare');
if (problems.length > 0) {
  console.error(`${label} synth differs from the stock synth (${problems.length} difference${problems.length > 1 ? 's' : ''}${problems.length >= 40 ? ', first 40 per file' : ''}):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`${compared} files equal to the stock synth (ignored: //.metadata.version of each cdk.tf.json, version of manifest.json)`);
