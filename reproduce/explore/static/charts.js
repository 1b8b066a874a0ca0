// The explorer's figures (reproduce/explore/plots.py describes the spec) drawn with uPlot on canvas.
// Each figure keeps its panels across Streamlit reruns: new numbers go in with setData, and a panel is
// built anew only when its curves (names, colours, axes) change. Plotly's SVG, remounted by
// st.plotly_chart, cost ~10x more per update (paper/docs/performance.md).
let ready;

function load(base) {  // uPlot and its stylesheet, once per page
  return ready ??= new Promise((ok, bad) => {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = base + "uPlot.min.css";
    document.head.appendChild(css);
    const style = document.createElement("style");
    style.textContent = `
      .ef-head { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; }
      .ef-title { font: 600 15px sans-serif; color: #31333f; margin: 4px 0; }
      .ef-legend { font: 12px sans-serif; color: #31333f; }
      .ef-legend span { margin-left: 12px; white-space: nowrap; }
      .ef-legend i { display: inline-block; width: 18px; height: 0; margin-right: 4px;
                     vertical-align: middle; border-top: 2.5px solid; }
      .ef-grid { display: grid; gap: 4px 12px; }
      .ef-grid .u-title { font: 12px sans-serif; }
      .ef-tip { position: absolute; display: none; pointer-events: none; font: 12px sans-serif;
                background: #fffe; border: 1px solid #bbb; padding: 2px 5px; z-index: 5; }`;
    document.head.appendChild(style);
    const script = document.createElement("script");
    script.src = base + "uPlot.iife.min.js";
    script.onload = ok;
    script.onerror = () => bad(new Error("cannot load " + script.src));
    document.head.appendChild(script);
  });
}

const TYPES = { f4: Float32Array, f8: Float64Array, i4: Int32Array };
function decode(a) {  // plotly-style base64 typed array -> typed array
  if (!a || !a.bdata) return a;
  const bytes = Uint8Array.from(atob(a.bdata), c => c.charCodeAt(0));
  return new TYPES[a.dtype](bytes.buffer);
}

function fmt(v) {
  if (v == null) return "";
  if (v === 0) return "0";
  const e = Math.abs(Math.log10(Math.abs(v)));
  return e >= 4 ? v.toExponential(1) : +v.toPrecision(3) + "";
}

function logSplits(u, axis, min, max) {  // whole decades, at most ~8 of them labelled
  const lo = Math.ceil(Math.log10(min)), hi = Math.floor(Math.log10(max));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const step = Math.max(1, Math.ceil((hi - lo + 1) / 8));
  const out = [];
  for (let e = lo; e <= hi; e += step) out.push(10 ** e);
  return out;
}

// a log axis labels whole decades; uPlot passes null for the splits it leaves unlabelled
const decade = v => v == null ? "" : v >= 1e-3 && v <= 1e3 ? fmt(v) : "1e" + Math.round(Math.log10(v));

function axis(fig, log, label) {
  const a = { label, labelSize: label ? 18 : 0, size: log ? 50 : 42, font: "11px sans-serif", labelFont: "12px sans-serif",
              values: (u, splits) => splits.map(log ? decade : fmt), grid: { stroke: "#eee" },
              ticks: { stroke: "#ccc" } };
  if (log) Object.assign(a, { splits: logSplits, filter: (u, splits) => splits });  // label every decade drawn
  return a;
}

function marks(u, m) {  // ✕ at each bump's peak, drawn over the curves
  if (!m || !m.x.length) return;
  const ctx = u.ctx, r = 5 * devicePixelRatio;
  ctx.save();
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.beginPath();
  for (let i = 0; i < m.x.length; i++) {
    const x = u.valToPos(m.x[i], "x", true), y = u.valToPos(m.y[i], "y", true);
    ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r);
    ctx.moveTo(x + r, y - r); ctx.lineTo(x - r, y + r);
  }
  ctx.stroke();
  ctx.restore();
}

function hover(root) {  // the curve nearest the cursor, its value and the step
  return u => {
    const tip = root.querySelector(".ef-tip"), i = u.cursor.idx;
    if (i == null || u.cursor.left < 0) { tip.style.display = "none"; return; }
    let best = null;
    for (let s = 1; s < u.series.length; s++) {
      const v = u.data[s][i];
      if (v == null || Number.isNaN(v)) continue;
      const d = Math.abs(u.valToPos(v, "y") - u.cursor.top);
      if (!best || d < best.d) best = { s, v, d };
    }
    if (!best) { tip.style.display = "none"; return; }
    const over = u.over.getBoundingClientRect(), box = root.getBoundingClientRect();
    tip.textContent = `${u.series[best.s].label}: ${fmt(best.v)} at step ${fmt(u.data[0][i])}`;
    tip.style.left = over.left - box.left + u.cursor.left + 12 + "px";
    tip.style.top = over.top - box.top + u.cursor.top + 12 + "px";
    tip.style.display = "block";
  };
}

function options(root, fig, p, i, width, holder) {
  const cols = fig.cols, rows = Math.ceil(fig.panels.length / cols);
  const last = Math.floor(i / cols) === rows - 1, first = i % cols === 0;
  return {
    width, height: fig.height, title: p.title,
    scales: { x: { time: false, distr: fig.xlog ? 3 : 1 }, y: { distr: fig.ylog ? 3 : 1 } },
    axes: [axis(fig, fig.xlog, last ? "step" : ""), axis(fig, fig.ylog, first ? fig.ylabel : "")],
    series: [{ label: "step" }].concat(p.series.map(s => ({
      label: s.name, stroke: s.color, width: s.width, dash: s.dash ? [6, 4] : undefined, points: { show: false },
    }))),
    legend: { show: false },
    cursor: { points: { show: false } },
    hooks: { draw: [u => marks(u, holder.marks)], setCursor: [hover(root)] },
  };
}

function widthOf(root, fig) {
  return Math.max(120, Math.floor((root.clientWidth - 12 * (fig.cols - 1)) / fig.cols));
}

function draw(root, fig) {
  const x = decode(fig.x);
  fig.panels.forEach(p => {
    p.series.forEach(s => { s.y = decode(s.y); });
    if (p.marks) p.marks = { x: decode(p.marks.x), y: decode(p.marks.y) };
  });
  root.figure = fig;  // for tests and the bench: what is drawn
  root.dataset.title = fig.title;
  root.dataset.lines = fig.panels.reduce((n, p) => n + p.series.filter(s => !s.reference).length, 0);
  root.querySelector(".ef-title").textContent = fig.title;
  root.querySelector(".ef-legend").innerHTML = fig.legend.map(e => e.mark
    ? `<span><b>✕</b> ${e.name}</span>`
    : `<span><i style="border-top-color:${e.color};${e.dash ? "border-top-style:dashed" : ""}"></i>${e.name}</span>`).join("");
  const grid = root.querySelector(".ef-grid");
  grid.style.gridTemplateColumns = `repeat(${fig.cols}, 1fr)`;
  const width = widthOf(root, fig);
  const old = root.panels;
  root.panels = fig.panels.map((p, i) => {
    const key = JSON.stringify([fig.xlog, fig.ylog, fig.height, fig.cols, fig.ylabel, i, fig.panels.length, !!p.title,
                                p.series.map(s => [s.name, s.color, s.width, s.dash])]);
    const data = [x].concat(p.series.map(s => s.y));
    let u = old[i];
    if (u && u.key === key) {
      u.holder.marks = p.marks;
      const title = u.root.querySelector(".u-title");
      if (title) title.textContent = p.title;
      u.setData(data);
    } else {
      if (u) u.destroy();
      const cell = document.createElement("div"), holder = { marks: p.marks };
      u = new uPlot(options(root, fig, p, i, width, holder), data, cell);
      u.key = key;
      u.holder = holder;
      if (grid.children[i]) grid.replaceChild(cell, grid.children[i]); else grid.appendChild(cell);
    }
    return u;
  });
  old.slice(fig.panels.length).forEach(u => u.destroy());
  while (grid.children.length > fig.panels.length) grid.lastChild.remove();
  // drawn: the bench and the tests wait for this, one frame after the canvases were painted
  requestAnimationFrame(() => setTimeout(() => {
    root.dataset.drawn = performance.now();
    document.dispatchEvent(new CustomEvent("explorer:drawn", { detail: fig.title }));
  }, 0));
}

export async function render({ data, parentElement }, base) {
  await load(base);
  let root = parentElement.querySelector(".explorer-figure");
  if (!root) {
    root = document.createElement("div");
    root.className = "explorer-figure";
    root.style.position = "relative";
    root.innerHTML = '<div class="ef-head"><div class="ef-title"></div><div class="ef-legend"></div></div>' +
                     '<div class="ef-grid"></div><div class="ef-tip"></div>';
    root.panels = [];
    parentElement.appendChild(root);
    let width = 0;
    new ResizeObserver(() => {  // follow the column's width
      if (!root.figure || root.clientWidth === width) return;
      width = root.clientWidth;
      const w = widthOf(root, root.figure);
      root.panels.forEach(u => u.setSize({ width: w, height: root.figure.height }));
    }).observe(root);
  }
  draw(root, data.figure);
}
