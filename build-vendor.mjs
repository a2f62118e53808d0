// `npm run build`: builds the front-end libraries the pages use into static/vendor/.
//
// Apache ECharts, bundled from npm by esbuild with only what the dashboard and the big screen
// draw (static_src/echarts-entry.js: bar, line and treemap charts; legend, tooltip, data zoom,
// grid, title, mark lines, continuous visual map; the canvas renderer), minified into one file that sets
// window.echarts, with its licence and notice. The result is committed, so running the portal
// needs neither Node nor npm; this script is for upgrading the pinned versions (package.json).
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const from = join(root, "node_modules", "echarts");
const to = join(root, "static", "vendor", "echarts");
mkdirSync(to, { recursive: true });

const bundle = join(to, "echarts.custom.min.js");
await build({
  entryPoints: [join(root, "static_src", "echarts-entry.js")],
  outfile: bundle,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2018"],
  legalComments: "none",
  define: { __DEV__: "false", "process.env.NODE_ENV": '"production"' },
  banner: { js: "/*! Apache ECharts (https://echarts.apache.org), Apache License 2.0: see LICENSE and NOTICE beside this file. */" },
  logLevel: "warning",
});
console.log(`static/vendor/echarts/echarts.custom.min.js (${statSync(bundle).size} bytes)`);

for (const [source, target] of [
  ["LICENSE", "LICENSE"],
  ["NOTICE", "NOTICE"],
]) {
  copyFileSync(join(from, source), join(to, target));
  console.log(`static/vendor/echarts/${target}`);
}
// The full "simple" build this bundle replaces.
rmSync(join(to, "echarts.simple.min.js"), { force: true });
