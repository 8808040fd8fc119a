/** An API as the gateway serves it. */
export interface ApiRoute {
  api: string;
  /** Canonical endpoint: leading "/", no trailing "/". */
  endpoint: string;
}

/** What a request path points at. */
export type RouteMatch =
  | { kind: "submit"; route: ApiRoute }
  | { kind: "health"; route: ApiRoute }
  | { kind: "record"; route: ApiRoute; id: string };

/** Maps paths to APIs by exact endpoint; endpoints may hold several segments (`/a/b`). */
export class RouteTable {
  #byEndpoint = new Map<string, ApiRoute>();

  constructor(routes: Iterable<ApiRoute> = []) {
    this.replace(routes);
  }

  replace(routes: Iterable<ApiRoute>): void {
    this.#byEndpoint = new Map([...routes].map((r) => [r.endpoint, r]));
  }

  byApi(api: string): ApiRoute | undefined {
    return this.routes.find((r) => r.api === api);
  }

  get routes(): ApiRoute[] {
    return [...this.#byEndpoint.values()];
  }

  match(path: string): RouteMatch | null {
    const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
    const exact = this.#byEndpoint.get(trimmed);
    if (exact) return { kind: "submit", route: exact };
    const cut = trimmed.lastIndexOf("/");
    const parent = this.#byEndpoint.get(trimmed.slice(0, cut));
    if (!parent || cut <= 0) return null;
    const tail = trimmed.slice(cut + 1);
    return tail === "healthz" ? { kind: "health", route: parent } : { kind: "record", route: parent, id: tail };
  }
}
