// Assembles the publishable npm package in pkg/ from its one source of truth each:
// package.json from pkg.json.template (version from Cargo.toml), the host shim with the
// generated wasm glue, the skill, the OpenClaw manifest and the README. pkg/ is generated,
// never edited and never committed.
import { chmodSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "pkg");

const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)?.[1];
if (!version) throw new Error("no version in Cargo.toml");
if (!existsSync(join(root, "host-shim/wasm/core_bg.wasm"))) {
  throw new Error("host-shim/wasm/core_bg.wasm is missing: run `make wasm` first");
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { mode: 0o755 });
cpSync(join(root, "host-shim"), join(out, "host-shim"), { recursive: true });
cpSync(join(root, "skill"), join(out, "skills"), { recursive: true });
// The verified agent CLI versions `doctor` reads (host-shim/doctor/facts.js: ../../agents/).
cpSync(join(root, "agents"), join(out, "agents"), { recursive: true });
// Type declarations of the Node API ("types": host-shim/index.d.ts), emitted from the JSDoc.
execFileSync(
  join(root, "node_modules/.bin/tsc"),
  ["--allowJs", "--declaration", "--emitDeclarationOnly", "--skipLibCheck", "--module", "nodenext",
    "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node",
    "--outDir", join(out, "host-shim"), join(root, "host-shim/index.js")],
  { stdio: "inherit" },
);
for (const file of ["openclaw.plugin.json", "README.md"]) {
  if (existsSync(join(root, file))) cpSync(join(root, file), join(out, file));
}

const manifest = readFileSync(join(root, "pkg.json.template"), "utf8").replaceAll("@VERSION@", version);
const pkg = JSON.parse(manifest);
writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
for (const bin of Object.values(pkg.bin ?? {})) {
  if (existsSync(join(out, bin))) chmodSync(join(out, bin), 0o755);
}
console.log(`==> pkg/ assembled: resilient-coding-agent@${version}`);
