// Tiny DOM helpers: every text goes in through textContent (never innerHTML), so nothing a
// task prints can become markup.
const SVG = "http://www.w3.org/2000/svg";

/**
 * An element: h("td", { class: "x", dataset: { state: "running" } }, "text", child, …).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} kids
 */
export function h(tag, attrs = {}, ...kids) {
  return fill(document.createElement(tag), attrs, kids);
}

/** The same for SVG elements. @param {string} tag @param {Record<string, any>} [attrs] @param {...any} kids */
export function s(tag, attrs = {}, ...kids) {
  return fill(document.createElementNS(SVG, tag), attrs, kids);
}

/** @param {Element} el @param {Record<string, any>} attrs @param {any[]} kids */
function fill(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") for (const [dk, dv] of Object.entries(v)) /** @type {HTMLElement} */ (el).dataset[dk] = String(dv);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const kid of kids) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(typeof kid === "object" ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

/** "3h 12m", "45s". @param {number} ms */
export function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return "";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr}h ${m % 60}m`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

/** Local time of an ISO string, "" for none. @param {string | null} iso */
export function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString();
}
