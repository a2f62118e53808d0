// The ECharts the dashboard and the big screen draw with: only the charts and components they use,
// bundled by build-vendor.mjs (esbuild) into static/vendor/echarts/echarts.custom.min.js, which
// sets window.echarts. Canvas only; nothing here fetches anything (no map tiles, no fonts).
import * as echarts from "echarts/core";
import { BarChart, LineChart, TreemapChart } from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  LineChart,
  TreemapChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
]);

window.echarts = echarts;
