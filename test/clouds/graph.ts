import { Json } from '../training/cluster-helpers';

/** `type.name` (or `data.type.name`) of every resource and data source in a synthesized stack, with its body. */
export function elements(json: Json): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const block of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries(json[block] ?? {}) as [string, Record<string, Json>][]) {
      for (const [name, body] of Object.entries(byName)) out.set(`${block === 'data' ? 'data.' : ''}${type}.${name}`, body);
    }
  }
  return out;
}

/** An element's depends_on addresses (`${...}`-wrapped entries read as the address they name). */
export function dependsOn(body: Json): string[] {
  return ((body.depends_on ?? []) as string[]).map((d) => d.replace(/^\$\{(.*)\}$/, '$1'));
}

/** What each element waits for: its depends_on entries and the elements its arguments reference. */
export function dependencyGraph(json: Json): Map<string, Set<string>> {
  const all = elements(json);
  const graph = new Map<string, Set<string>>();
  for (const [address, body] of all) {
    const deps = new Set<string>(dependsOn(body));
    const args = Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([k]) => k !== 'depends_on'));
    for (const m of JSON.stringify(args).matchAll(/\$\{[^}]*?\b((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)/g)) {
      if (all.has(m[1])) deps.add(m[1]);
    }
    graph.set(address, deps);
  }
  return graph;
}

/** True when `from` waits for `to`, directly or through other elements. */
export function waitsFor(graph: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const next = stack.pop()!;
    for (const d of graph.get(next) ?? []) {
      if (d === to) return true;
      if (!seen.has(d)) { seen.add(d); stack.push(d); }
    }
  }
  return false;
}
