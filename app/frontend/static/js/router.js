// Hash routes ("#/jobs/abc?x=1"): every view has a URL to share or reload, with no server routes.

/** "#/models/a/explore?seed=4" -> {path: "/models/a/explore", query: URLSearchParams} */
export function parseHash(hash) {
  const text = hash.replace(/^#/, "") || "/";
  const [path, search = ""] = text.split("?", 2);
  return { path: path.replace(/\/+$/, "") || "/", query: new URLSearchParams(search) };
}

/** Find the route whose pattern matches: routes are [[/^\/jobs\/([^/]+)$/, render], ...]. */
export function match(routes, path) {
  for (const [pattern, render] of routes) {
    const found = pattern.exec(path);
    if (found) return { render, params: found.slice(1).map(decodeURIComponent) };
  }
  return null;
}

/** Change the query of the current view without a new render (e.g. the selected seed). */
export function replaceQuery(query) {
  const { path } = parseHash(location.hash);
  const text = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== null && v !== undefined && v !== "")).toString();
  history.replaceState(null, "", `#${path}${text ? `?${text}` : ""}`);
}
