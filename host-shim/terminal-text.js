// @ts-check
// Agent output shown to a person (status, logs, tool results) is text, never terminal commands:
// an agent's output may set the operator's window title, write their clipboard (OSC 52) or
// move the cursor. The same rules as the live view's.

/**
 * Removes escape sequences (CSI, OSC) and control characters, keeping tabs and line breaks;
 * C1 controls too (U+0080–U+009F: U+009B is an 8-bit CSI to many terminals).
 * @param {string} s
 */
export function plainText(s) {
  return s
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "")
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "")
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
}
