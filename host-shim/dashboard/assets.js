// @ts-check
// The page's files, a fixed table read once from the package (never a directory served: a
// request names an entry of this table or gets 404, so no path can reach another file).
// Nothing is loaded from outside: these are all the page needs.
import { readFileSync } from "node:fs";

/** @type {Record<string, { file: string, type: string }>} */
const TABLE = {
  "": { file: "index.html", type: "text/html; charset=utf-8" },
  "app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "view.js": { file: "view.js", type: "text/javascript; charset=utf-8" },
  "style.css": { file: "style.css", type: "text/css; charset=utf-8" },
  "icon.svg": { file: "icon.svg", type: "image/svg+xml" },
};

/** @type {Map<string, { body: Buffer, type: string }> | null} */
let loaded = null;

/** The asset named `name` ("" is the page), or undefined. @param {string} name */
export function asset(name) {
  loaded ??= new Map(
    Object.entries(TABLE).map(([k, v]) => [k, { body: readFileSync(new URL(`./web/${v.file}`, import.meta.url)), type: v.type }]),
  );
  return Object.hasOwn(TABLE, name) ? loaded.get(name) : undefined;
}

/** Bytes of every asset of the page (what a first visit downloads). */
export function pageWeight() {
  let total = 0;
  for (const name of Object.keys(TABLE)) total += asset(name)?.body.length ?? 0;
  return total;
}
