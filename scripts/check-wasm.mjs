// Proves the core stayed pure and reports its size.
// Fails when the .wasm imports anything from `env` (an unresolved C/host symbol: the core must
// do no I/O of its own); everything it may import comes from wasm-bindgen's own glue module.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const file = process.argv[2];
if (!file) {
  console.error("usage: node scripts/check-wasm.mjs <file.wasm>");
  process.exit(2);
}
const bytes = readFileSync(file);
const mod = new WebAssembly.Module(bytes);
const imports = WebAssembly.Module.imports(mod);
const fromEnv = imports.filter((i) => i.module === "env");
const modules = [...new Set(imports.map((i) => i.module))];
const gz = gzipSync(bytes, { level: 9 }).length;
console.log(
  `    core .wasm: ${bytes.length} bytes raw (${(bytes.length / 1024).toFixed(1)} KiB), ` +
    `${gz} bytes gzip (${(gz / 1024).toFixed(1)} KiB); imports from: ${modules.join(", ") || "nothing"}`,
);
if (fromEnv.length > 0) {
  console.error(`error: the core imports from "env": ${fromEnv.map((i) => i.name).join(", ")}`);
  process.exit(1);
}
