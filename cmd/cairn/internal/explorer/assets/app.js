// Cairn explorer: one page that renders from location.pathname, reads the
// node through JSON-RPC at /api and follows it live over a websocket.
"use strict";

const main = document.getElementById("main");
let live = null; // the page's handler for notifications: (topic, result) => void

// h builds an element; strings become text nodes, so nothing is parsed as HTML.
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  for (const k of kids.flat()) {
    if (k !== undefined && k !== null) el.append(k instanceof Node ? k : String(k));
  }
  return el;
}

const link = (href, text, cls) => h("a", { href, class: cls }, text);
const short = (s) => (s && s.length > 20 ? s.slice(0, 10) + "…" + s.slice(-8) : s);
const when = (t) => (t ? new Date(t * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC") : "");

function coins(units) {
  const whole = Math.floor(units / 1e8), frac = units % 1e8;
  const f = frac ? "." + String(frac).padStart(8, "0").replace(/0+$/, "") : "";
  return whole + f + " CAIRN";
}

let nextID = 0;
async function rpc(method, params) {
  const res = await fetch("/api", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++nextID, method, params: params || [] }),
  });
  const body = await res.json();
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

function table(head, rows, cls) {
  return h("table", { class: cls }, h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))), h("tbody", {}, rows));
}

function kv(pairs) {
  return h("table", { class: "kv" }, h("tbody", {}, pairs.map(([k, v, cls]) => h("tr", {}, h("th", {}, k), h("td", { class: cls }, v)))));
}

function show(title, ...content) {
  main.replaceChildren(h("h1", { id: "page-title" }, title), ...content);
  document.title = title + " · Cairn explorer";
}

function txRow(tx, extra) {
  return h("tr", { "data-txid": tx.txid },
    h("td", { class: "mono" }, link("/tx/" + tx.txid, short(tx.txid))),
    h("td", {}, tx.kind),
    h("td", { class: "mono" }, tx.from ? link("/address/" + tx.from, short(tx.from)) : "—"),
    h("td", { class: "mono" }, link("/address/" + tx.to, short(tx.to))),
    h("td", { class: "num" }, coins(tx.amount)),
    h("td", { class: "num" }, coins(tx.fee)),
    extra === undefined ? null : h("td", {}, extra));
}
const txHead = ["Txid", "Kind", "From", "To", "Amount", "Fee"];

function blockRow(b) {
  return h("tr", { "data-hash": b.hash, "data-height": b.height },
    h("td", { class: "num" }, link("/block/" + b.hash, b.height)),
    h("td", { class: "mono" }, link("/block/" + b.hash, short(b.hash))),
    h("td", {}, when(b.time)),
    h("td", { class: "num" }, b.ntx));
}

async function home() {
  const info = await rpc("getblockchaininfo");
  const rows = [];
  for (let i = 0; i < 15 && i <= info.height; i++) {
    const hash = await rpc("getblockhash", [info.height - i]);
    const b = await rpc("getblock", [hash, 1]);
    rows.push(blockRow({ hash, height: b.height, time: b.time, ntx: b.ntx }));
  }
  const blocks = table(["Height", "Hash", "Time", "Txs"], rows);
  blocks.id = "blocks";
  show("Latest blocks", kv([["Network", info.network], ["Height", info.height], ["Difficulty", info.difficulty.toPrecision(4)]]), h("h2", {}, "Blocks"), blocks);
  const body = blocks.tBodies[0];
  live = (topic, ev) => {
    if (topic !== "newtips") return;
    if (ev.event === "disconnected") {
      const row = body.querySelector(`tr[data-hash="${ev.hash}"]`);
      if (row) row.remove();
      return;
    }
    const row = blockRow(ev);
    row.className = "new";
    body.prepend(row);
    while (body.rows.length > 15) body.deleteRow(-1);
  };
}

async function block(hash) {
  const b = await rpc("getblock", [hash, 2]);
  const conf = h("span", { id: "confirmations" }, b.confirmations);
  show("Block " + b.height,
    kv([["Hash", b.hash, "mono"], ["Height", b.height], ["Confirmations", conf], ["Time", when(b.time)],
      ["Previous", b.previousblockhash ? link("/block/" + b.previousblockhash, b.previousblockhash) : "—", "mono"],
      ["Next", b.nextblockhash ? link("/block/" + b.nextblockhash, b.nextblockhash) : "—", "mono"],
      ["Merkle root", b.merkleroot, "mono"], ["Miner", link("/address/" + b.miner, b.miner), "mono"],
      ["Bits", b.bits], ["Nonce", b.nonce], ["Difficulty", b.difficulty.toPrecision(4)], ["Size", b.size + " bytes"],
      ["Status", b.status]]),
    h("h2", {}, b.ntx + " transactions"), Object.assign(table(txHead, b.tx.map((tx) => txRow(tx))), { id: "txs" }));
  live = async (topic) => {
    if (topic === "newtips") conf.textContent = (await rpc("getblockheader", [b.hash])).confirmations;
  };
}

async function tx(id) {
  const t = await rpc("gettransaction", [id]);
  const pairs = [["Txid", t.txid, "mono"], ["Status", t.blockhash ? "confirmed" : "in the mempool"],
    ["Block", t.blockhash ? link("/block/" + t.blockhash, t.height + " (" + short(t.blockhash) + ")") : "—"],
    ["Confirmations", t.confirmations], ["Kind", t.kind],
    ["From", t.from ? link("/address/" + t.from, t.from) : "— (coinbase)", "mono"], ["To", link("/address/" + t.to, t.to), "mono"],
    ["Amount", coins(t.amount)], ["Fee", coins(t.fee)], ["Nonce", t.nonce], ["Size", t.size + " bytes"]];
  if (t.memo) pairs.push(["Memo (hex)", t.memo, "mono"]);
  show("Transaction", kv(pairs));
  live = (topic, ev) => {
    if (topic === "newtips") route(); // confirmations and status change with every tip
  };
}

async function address(addr) {
  const a = await rpc("getaddresshistory", [addr, 100]);
  const hist = table([...txHead, "Block"], a.txs.map((t) => txRow(t, link("/block/" + t.blockhash, t.height))));
  hist.id = "history";
  show("Address " + a.address,
    kv([["Address", a.address, "mono"], ["Balance", h("span", { id: "balance" }, coins(a.balance))], ["Nonce", a.nonce]]),
    h("h2", {}, "Pending"), a.mempool.length ? table(txHead, a.mempool.map((t) => txRow(t))) : h("p", { class: "muted" }, "none"),
    h("h2", {}, "History (newest first)"), hist);
  live = (topic) => {
    if (topic === "address") route();
  };
  return [["address", a.address]];
}

async function mempool() {
  const [info, txs] = await Promise.all([rpc("getmempoolinfo"), rpc("getmempooltxs", [200])]);
  const t = table(txHead, txs.map((x) => txRow(x)));
  t.id = "mempool";
  const count = h("span", { id: "mempool-size" }, info.size);
  show("Mempool", kv([["Transactions", count], ["Bytes", info.bytes], ["Senders", info.senders], ["Accepted since start", info.accepted]]),
    h("h2", {}, "Transactions"), t);
  live = (topic, ev) => {
    if (topic === "mempool") {
      const row = txRow(ev);
      row.className = "new";
      t.tBodies[0].prepend(row);
      count.textContent = Number(count.textContent) + 1;
    } else if (topic === "newtips") {
      route(); // a block took (or gave back) transactions
    }
  };
  return [["mempool"]];
}

async function peers() {
  const [net, ps] = await Promise.all([rpc("getnetworkinfo"), rpc("getpeerinfo")]);
  show("Peers", kv([["Peer id", net.peerid || "—", "mono"], ["Listening on", (net.listenaddrs || []).join(" ") || "—", "mono"], ["Connections", ps.length]]),
    h("h2", {}, "Connected peers"),
    table(["Peer", "Address", "Direction", "Best height", "Score", "Bytes in/out", "Since"],
      ps.map((p) => h("tr", {}, h("td", { class: "mono" }, short(p.id)), h("td", { class: "mono" }, (p.addrs || []).join(" ")),
        h("td", {}, p.direction), h("td", { class: "num" }, p.bestheight), h("td", { class: "num" }, p.score),
        h("td", { class: "num" }, p.bytesin + " / " + p.bytesout), h("td", {}, p.connectedsince)))));
}

// route renders the page for location.pathname and returns the extra
// subscriptions it wants.
async function route() {
  const [, kind, arg] = location.pathname.split("/");
  live = null;
  let subs = [];
  try {
    if (!kind) await home();
    else if (kind === "block") await block(arg);
    else if (kind === "tx") await tx(arg);
    else if (kind === "address") subs = (await address(arg)) || [];
    else if (kind === "mempool") subs = (await mempool()) || [];
    else if (kind === "peers") await peers();
    else show("Not found", h("p", {}, "No such page."));
  } catch (e) {
    show("Error", h("p", { class: "error", id: "error" }, e.message));
  }
  return subs;
}

document.getElementById("search").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = document.getElementById("q").value.trim();
  if (!q) return;
  try {
    const r = await rpc("search", [q]);
    location.assign("/" + r.type + "/" + r.id);
  } catch (err) {
    show("Not found", h("p", { class: "error", id: "error" }, err.message));
  }
});

// connect opens the websocket, subscribes to new tips and the page's own
// topics, and reconnects after a pause if the node goes away.
function connect(extra) {
  const status = document.getElementById("status");
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api");
  let id = 0;
  const sub = (params) => ws.send(JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "subscribe", params }));
  ws.onopen = () => {
    status.textContent = "live";
    status.className = "status on";
    sub(["newtips"]);
    extra.forEach(sub);
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.method !== "subscription") return;
    const { topic, result } = msg.params;
    if (topic === "newtips") {
      const tip = document.getElementById("tip-height");
      tip.textContent = result.event === "connected" ? result.height : result.height - 1;
    }
    if (live) live(topic, result);
  };
  ws.onclose = (e) => {
    status.textContent = "offline" + (e.reason ? ": " + e.reason : "");
    status.className = "status off";
    setTimeout(() => connect(extra), 3000);
  };
}

(async () => {
  rpc("getblockcount").then((n) => { document.getElementById("tip-height").textContent = n; }).catch(() => {});
  const subs = await route();
  connect(subs);
})();
