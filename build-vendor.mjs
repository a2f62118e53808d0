// `npm run build`: copies the front-end libraries the pages use into static/vendor/.
//
// Only Apache ECharts' "simple" build (bar, line and pie charts: all the dashboard draws),
// with its licence and notice. The result is committed, so running the portal needs
// neither Node nor npm; this script is for upgrading the pinned version (package.json).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const from = join(root, "node_modules", "echarts");
const to = join(root, "static", "vendor", "echarts");
mkdirSync(to, { recursive: true });
for (const [source, target] of [
  ["dist/echarts.simple.min.js", "echarts.simple.min.js"],
  ["LICENSE", "LICENSE"],
  ["NOTICE", "NOTICE"],
]) {
  copyFileSync(join(from, source), join(to, target));
  console.log(`static/vendor/echarts/${target}`);
}
