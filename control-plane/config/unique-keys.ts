/**
 * @module
 * Repeated mapping keys, found in linear time. The `yaml` package's own check (`uniqueKeys`)
 * compares every key with every earlier one, so a map of 100,000 keys (1 MiB) takes minutes.
 */
import { isMap, isScalar, visit, type Document, type LineCounter } from "yaml";

/** Where a key repeats an earlier key of the same map, as the `yaml` package would say it. */
export interface RepeatedKey {
  line: number;
  col: number;
}

/**
 * Every key that repeats an earlier one of its map: scalars compared by value (as `yaml` does:
 * `1` and `"1"` differ), other keys by identity.
 */
export function repeatedKeys(document: Document, lineCounter: LineCounter): RepeatedKey[] {
  const found: RepeatedKey[] = [];
  visit(document, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        const identity = isScalar(key) ? key.value : key;
        if (seen.has(identity)) found.push(lineCounter.linePos(rangeStart(key)));
        seen.add(identity);
      }
    },
  });
  return found;
}

function rangeStart(node: unknown): number {
  return (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
}
