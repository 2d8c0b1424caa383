// Cairn testnet dashboard: polls /api/state once a second and draws it.
// Plain JS and SVG, no libraries: it must work offline.
"use strict";

const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// A tip's colour: the same tip is the same colour on every node, so a
// partition shows as two colours.
function tipColor(hash) {
  if (!hash) return "#999";
  return `hsl(${parseInt(hash.slice(0, 6), 16) % 360}, 65%, 45%)`;
}

const short = (h) => (h ? h.slice(0, 10) : "-");

async function post(body) {
  $("busy").textContent = "working: " + body.verb + "…";
  $("error").hidden = true;
  try {
    const r = await fetch("api/action", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(j.error || r.statusText);
  } catch (e) {
    $("error").textContent = e.message;
    $("error").hidden = false;
  } finally {
    $("busy").textContent = "";
    poll();
  }
}

$("partition").onclick = () => post({ verb: "partition", groups: $("groups").value });
$("heal").onclick = () => post({ verb: "heal" });
$("load").onclick = () => post({ verb: "load", tps: parseFloat($("tps").value), duration: $("duration").value });
$("delay").onclick = () => post({ verb: "delay", node: $("delay-node").value, latency: $("latency").value });
$("nodes").addEventListener("click", (ev) => {
  const b = ev.target.closest("button[data-verb]");
  if (b) post({ verb: b.dataset.verb, node: b.dataset.node });
});

function renderNodes(st) {
  const box = $("nodes");
  st.nodes.forEach((n, i) => {
    let card = box.querySelector(`[data-node="${n.name}"]`);
    if (!card) {
      card = el("div", { class: "node", "data-node": n.name });
      card.innerHTML = `<div class="title"><span class="name"></span><span class="state"></span></div>
        <div class="height"></div><div class="meta tip"></div><div class="meta stats"></div><div class="meta cond"></div>
        <div class="buttons"><button data-verb="kill" data-node="${n.name}">Kill</button><button data-verb="start" data-node="${n.name}">Start</button></div>`;
      box.appendChild(card);
    }
    card.classList.toggle("down", !n.running);
    card.style.setProperty("--tip", tipColor(n.tip));
    card.querySelector(".name").textContent = n.name + (n.mining ? " ⛏" : "");
    const state = card.querySelector(".state");
    state.textContent = n.running ? "running" : "stopped";
    state.className = "state " + (n.running ? "running" : "stopped");
    card.querySelector(".height").textContent = n.running ? n.height : "–";
    card.querySelector(".tip").textContent = "tip " + short(n.tip);
    card.querySelector(".stats").textContent = `${n.peers} peers · ${n.mempool_size} mempool · ${n.blocks_per_second.toFixed(2)} blk/s`;
    const c = st.conditions && st.conditions[n.name];
    card.querySelector(".cond").textContent = c ? condText(c) : "";
    card.querySelector('[data-verb="kill"]').disabled = !n.running;
    card.querySelector('[data-verb="start"]').disabled = n.running;
    card.title = n.error || "";
  });
}

function condText(c) {
  const p = [];
  if (c.latency || c.jitter) p.push(`${c.latency / 1e6}±${c.jitter / 1e6} ms`);
  if (c.loss) p.push(`${(c.loss * 100).toFixed(1)}% loss`);
  if (c.bandwidth) p.push(`${c.bandwidth / 1e6} Mbit/s`);
  return p.length ? p.join(" · ") : "no conditions";
}

function renderGraph(st) {
  const svg = $("graph");
  svg.replaceChildren();
  const N = st.nodes.length, cx = 210, cy = 160, r = N > 1 ? 125 : 0;
  const pos = st.nodes.map((_, i) => [cx + r * Math.cos((2 * Math.PI * i) / N - Math.PI / 2), cy + r * Math.sin((2 * Math.PI * i) / N - Math.PI / 2)]);
  const live = new Set((st.links || []).map(([a, b]) => a + "-" + b));
  const drawn = new Set();
  for (const [a, b] of st.edges || []) {
    const k = Math.min(a, b) + "-" + Math.max(a, b);
    drawn.add(k);
    svg.appendChild(el("svg:line", { class: live.has(k) ? "link" : "cut", "data-edge": k, x1: pos[a][0], y1: pos[a][1], x2: pos[b][0], y2: pos[b][1] }));
  }
  for (const [a, b] of st.links || []) {
    if (!drawn.has(a + "-" + b)) svg.appendChild(el("svg:line", { class: "link", "data-edge": a + "-" + b, x1: pos[a][0], y1: pos[a][1], x2: pos[b][0], y2: pos[b][1] }));
  }
  st.nodes.forEach((n, i) => {
    const g = el("svg:g", { "data-node": n.name });
    g.appendChild(el("svg:circle", { class: "vertex" + (n.running ? "" : " down"), cx: pos[i][0], cy: pos[i][1], r: 17, fill: n.running ? tipColor(n.tip) : "#ddd" }));
    g.appendChild(el("svg:text", { x: pos[i][0], y: pos[i][1] + 4, "text-anchor": "middle", fill: "#fff", style: "fill:#fff;font-weight:600" }, String(i + 1)));
    // The height label sits outside the circle, away from the links.
    const a = (2 * Math.PI * i) / N - Math.PI / 2, lr = r + 30;
    g.appendChild(el("svg:text", { x: cx + lr * Math.cos(a), y: cy + lr * Math.sin(a) + 4, "text-anchor": "middle" }, n.running ? "h" + n.height : "down"));
    svg.appendChild(g);
  });
}

function renderTimeline(blocks, nodes) {
  const svg = $("timeline");
  svg.replaceChildren();
  const rows = (blocks || []).slice(-12).reverse();
  if (!rows.length) {
    svg.appendChild(el("svg:text", { x: 10, y: 20 }, "waiting for blocks…"));
    return;
  }
  let maxMs = 10;
  for (const b of rows) for (const v of Object.values(b.at)) maxMs = Math.max(maxMs, v);
  const x0 = 50, x1 = 420, rowH = 25;
  const x = (ms) => x0 + ((x1 - x0) * ms) / maxMs;
  svg.appendChild(el("svg:line", { class: "axis", x1: x0, y1: 8, x2: x0, y2: 12 + rows.length * rowH }));
  for (const t of [0, maxMs / 2, maxMs]) svg.appendChild(el("svg:text", { x: x(t), y: 20 + rows.length * rowH, "text-anchor": "middle" }, Math.round(t) + " ms"));
  rows.forEach((b, k) => {
    const y = 18 + k * rowH;
    svg.appendChild(el("svg:text", { x: 2, y: y + 4 }, "h" + b.height));
    svg.appendChild(el("svg:line", { class: "axis", x1: x0, y1: y, x2: x1, y2: y }));
    const have = Object.keys(b.at).length;
    for (const [node, ms] of Object.entries(b.at)) {
      const i = Number(node);
      const c = el("svg:circle", { cx: x(ms), cy: y, r: 7, fill: tipColor(b.hash), stroke: i === b.origin ? "#000" : "#fff", "stroke-width": 2 });
      c.appendChild(el("svg:title", {}, `${nodes[i] ? nodes[i].name : node}: +${ms.toFixed(1)} ms`));
      svg.appendChild(c);
      svg.appendChild(el("svg:text", { x: x(ms), y: y + 3.5, "text-anchor": "middle", style: "fill:#fff;font-size:9px" }, String(i + 1)));
    }
    const last = Math.max(...Object.values(b.at));
    svg.appendChild(el("svg:text", { x: x1 + 8, y: y + 4 }, `${have}/${nodes.length} · ${Math.round(last)} ms`));
  });
}

function polyline(svg, pts, color) {
  if (pts.length) svg.appendChild(el("svg:polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: color, "stroke-width": 2 }));
}

function axes(svg, maxY, unit) {
  svg.appendChild(el("svg:line", { class: "axis", x1: 40, y1: 10, x2: 40, y2: 180 }));
  svg.appendChild(el("svg:line", { class: "axis", x1: 40, y1: 180, x2: 510, y2: 180 }));
  svg.appendChild(el("svg:text", { x: 36, y: 14, "text-anchor": "end" }, Math.round(maxY)));
  svg.appendChild(el("svg:text", { x: 36, y: 183, "text-anchor": "end" }, "0"));
  svg.appendChild(el("svg:text", { x: 44, y: 196 }, unit));
}

function renderTps(seconds, now) {
  const svg = $("tps-chart");
  svg.replaceChildren();
  const t1 = Math.floor(new Date(now).getTime() / 1000), span = 120;
  const byT = new Map((seconds || []).map((s) => [s.t, s]));
  let maxY = 5;
  for (const s of seconds || []) maxY = Math.max(maxY, s.submitted, s.confirmed);
  axes(svg, maxY, "tx/s, last 2 minutes");
  const sub = [], conf = [];
  for (let t = t1 - span; t < t1; t++) {
    const s = byT.get(t) || { submitted: 0, confirmed: 0 };
    const x = 40 + (470 * (t - (t1 - span))) / span;
    sub.push([x.toFixed(1), (180 - (170 * s.submitted) / maxY).toFixed(1)]);
    conf.push([x.toFixed(1), (180 - (170 * s.confirmed) / maxY).toFixed(1)]);
  }
  polyline(svg, sub, "#2563eb");
  polyline(svg, conf, "#1a7f37");
}

function renderLatency(blocks, load) {
  const svg = $("lat-chart");
  svg.replaceChildren();
  const bs = (blocks || []).filter((b) => b.confirmed > 0);
  let maxY = 1000;
  for (const b of bs) maxY = Math.max(maxY, b.lat_max_ms);
  axes(svg, maxY / 1000, "seconds, per block");
  const w = 470 / Math.max(bs.length, 12);
  bs.forEach((b, k) => {
    const x = 40 + w * k + w / 2;
    svg.appendChild(el("svg:line", { x1: x, x2: x, y1: 180 - (170 * b.lat_p50_ms) / maxY, y2: 180 - (170 * b.lat_max_ms) / maxY, stroke: "#9ca3af", "stroke-width": 2 }));
    const c = el("svg:circle", { cx: x, cy: 180 - (170 * b.lat_p50_ms) / maxY, r: 4, fill: "#1a7f37" });
    c.appendChild(el("svg:title", {}, `h${b.height}: ${b.confirmed} txs, median ${(b.lat_p50_ms / 1000).toFixed(2)} s, max ${(b.lat_max_ms / 1000).toFixed(2)} s`));
    svg.appendChild(c);
  });
  const r = load && load.report;
  $("load-report").textContent = load && load.running ? `load running: ${load.tps} tx/s…`
    : r ? `last load: submitted ${r.submitted}, confirmed ${r.confirmed}, ${r.confirmed_tps.toFixed(1)} tx/s, p50 ${(r.latency_p50 / 1e9).toFixed(2)} s, p99 ${(r.latency_p99 / 1e9).toFixed(2)} s`
    : load && load.error ? "load failed: " + load.error : "";
}

function render(s) {
  const st = s.status;
  if (!st) return;
  $("name").textContent = st.name;
  const tips = new Set(st.nodes.filter((n) => n.running).map((n) => n.tip));
  const agree = $("agree");
  agree.textContent = tips.size <= 1 ? "tips agree" : `TIPS DISAGREE (${tips.size})`;
  agree.className = "badge " + (tips.size <= 1 ? "ok" : "bad");
  const conds = Object.values(st.conditions || {});
  $("conditions").textContent = conds.length ? "P2P through proxies" : "";
  $("updated").textContent = "updated " + new Date(st.collected).toLocaleTimeString();
  renderNodes(st);
  renderGraph(st);
  renderTimeline(s.blocks, st.nodes);
  renderTps(s.seconds, s.now);
  renderLatency(s.blocks, s.load);
  const ol = $("actions");
  ol.replaceChildren(...(s.actions || []).slice().reverse().map((a) =>
    el("li", a.error ? { class: "err" } : {}, `${new Date(a.at).toLocaleTimeString()} ${a.what} (${a.took_ms} ms)${a.error ? ": " + a.error : ""}`)));
}

let inflight = false;
async function poll() {
  if (inflight) return;
  inflight = true;
  try {
    const r = await fetch("api/state");
    if (r.ok) render(await r.json());
  } catch (e) {
    $("updated").textContent = "dashboard unreachable";
  } finally {
    inflight = false;
  }
}
poll();
setInterval(poll, 1000);
