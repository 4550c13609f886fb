"use strict";
// conflictwire report: inflates the inline data, then draws map, timeline, table, detail and feed health.
// Every view reads one selection (`sel`, indices of the events that pass the filters), so a filter moves them all.
(async function () {
  const T0 = performance.now();
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const fmt = (n) => (n == null ? "" : Number(n).toLocaleString("en"));

  // --- data -------------------------------------------------------------------------------------------------
  async function inflate(element) {
    const b64 = element.textContent.trim();
    let bytes;
    if (Uint8Array.fromBase64) bytes = Uint8Array.fromBase64(b64);
    else {
      const raw = atob(b64);
      bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    }
    const text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
    return JSON.parse(text);
  }
  const D = await inflate($("data"));
  const T1 = performance.now();
  // The detail blob (evidence, claims, sources, articles) is inflated after the first paint; until then an
  // event's detail or a text search waits for it.
  let detailLoaded = false, releaseDetail;
  const detailReady = new Promise((resolve) => (releaseDetail = resolve));
  const S = D.strings;
  const E = D.events;
  const N = D.counts.events;
  const str = (i) => (i == null || i < 0 ? "" : S[i]);
  const TYPES = ["Battles", "Explosions/Remote violence", "Violence against civilians", "Protests", "Riots", "Strategic developments"];
  const COLORS = ["#d62728", "#ff7f0e", "#9467bd", "#1f77b4", "#8c564b", "#2ca02c"];
  const typeColor = {};
  TYPES.forEach((t, i) => (typeColor[t] = COLORS[i]));
  const typeIndex = new Int8Array(N); // position in TYPES, 6 = other
  for (let i = 0; i < N; i++) {
    const k = TYPES.indexOf(str(E.type[i]));
    typeIndex[i] = k < 0 ? 6 : k;
  }
  const PREC = { 1: "town", 2: "near / part of", 3: "region or country" };
  const dayText = (d) => (d == null ? "" : new Date(d * 86400000).toISOString().slice(0, 10));
  const dayOf = (s) => (s ? Math.floor(Date.parse(s + "T00:00:00Z") / 86400000) : null);

  $("summary").textContent =
    `${fmt(N)} events, ${fmt(D.counts.articles)} articles, ${fmt(D.counts.dead_letters)} dead letters, ` +
    `${fmt(D.feeds.length)} feeds (${fmt(D.counts.feed_polls)} polls) from ${D.runs.length} committed run(s). ` +
    `Generated ${D.generated}` + (D.filters.since ? `; events since ${D.filters.since}` : "") +
    (D.filters.countries.length ? `; countries ${D.filters.countries.join(", ")}` : "") + ".";

  // --- filters ----------------------------------------------------------------------------------------------
  function options(select, column, label) {
    const counts = new Map();
    if (column) for (let i = 0; i < N; i++) counts.set(column[i], (counts.get(column[i]) || 0) + 1);
    const entries = [...counts.entries()].filter(([k]) => k >= 0).sort((a, b) => b[1] - a[1]);
    for (const [k, n] of entries) {
      const o = document.createElement("option");
      o.value = S[k];
      o.textContent = `${label ? label(S[k]) : S[k]} (${fmt(n)})`;
      select.appendChild(o);
    }
  }
  options($("f-country"), E.cc, (cc) => (D.country_names[cc] ? `${D.country_names[cc]} ${cc}` : cc));
  options($("f-type"), E.type);
  options($("f-sub"), E.sub);
  let minDay = Infinity, maxDay = -Infinity;
  for (let i = 0; i < N; i++) {
    const d = E.day[i];
    if (d != null) { if (d < minDay) minDay = d; if (d > maxDay) maxDay = d; }
  }
  if (minDay === Infinity) { minDay = maxDay = Math.floor(Date.now() / 86400000); }

  let haystack = null; // lower-cased searchable text per event, built on first use
  function searchText() {
    if (!haystack) {
      haystack = new Array(N);
      for (let i = 0; i < N; i++) {
        const claims = (E.claims[i] || []).map((c) => str(c[0]) + " " + (c[4] || "")).join(" ");
        haystack[i] = [E.ev[i], str(E.loc[i]), str(E.ltxt[i]), str(E.adm1[i]), str(E.adm2[i]), str(E.a1[i]), str(E.a2[i]),
          str(E.sub[i]), str(E.by[i]), E.ctxt[i], claims, E.id[i]].join(" \u0001 ").toLowerCase();
      }
    }
    return haystack;
  }
  const actorCache = new Map();
  function actorMatches(idx, needle) {
    let hit = actorCache.get(idx);
    if (hit === undefined) { hit = idx >= 0 && S[idx].toLowerCase().includes(needle); actorCache.set(idx, hit); }
    return hit;
  }

  let sel = new Int32Array(0);
  function applyFilters() {
    const t = performance.now();
    const cc = S.indexOf($("f-country").value), ty = S.indexOf($("f-type").value), sub = S.indexOf($("f-sub").value);
    const wantCc = $("f-country").value !== "", wantTy = $("f-type").value !== "", wantSub = $("f-sub").value !== "";
    const from = dayOf($("f-from").value), to = dayOf($("f-to").value);
    const actor = $("f-actor").value.trim().toLowerCase();
    const words = $("f-text").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length && !detailLoaded) {
      $("shown").textContent = "loading the text index ...";
      detailReady.then(applyFilters);
      return;
    }
    const hay = words.length ? searchText() : null;
    actorCache.clear();
    const out = new Int32Array(N);
    let n = 0;
    for (let i = 0; i < N; i++) {
      if (wantCc && E.cc[i] !== cc) continue;
      if (wantTy && E.type[i] !== ty) continue;
      if (wantSub && E.sub[i] !== sub) continue;
      const d = E.day[i];
      if (from != null && (d == null || d < from)) continue;
      if (to != null && (d == null || d > to)) continue;
      if (actor && !actorMatches(E.a1[i], actor) && !actorMatches(E.a2[i], actor)) continue;
      if (hay && !words.every((w) => hay[i].includes(w))) continue;
      out[n++] = i;
    }
    sel = out.subarray(0, n);
    sortSelection();
    page = 0;
    drawAll();
    window.reportTiming.lastFilterMs = performance.now() - t;
  }
  for (const id of ["f-country", "f-type", "f-sub", "f-from", "f-to"]) $(id).addEventListener("change", applyFilters);
  for (const id of ["f-actor", "f-text"]) $(id).addEventListener("input", applyFilters);
  $("f-reset").addEventListener("click", () => {
    for (const id of ["f-country", "f-type", "f-sub", "f-from", "f-to", "f-actor", "f-text"]) $(id).value = "";
    applyFilters();
  });

  // --- sorting and the table ----------------------------------------------------------------------------------
  const PAGE = 50;
  let page = 0;
  function sortSelection() {
    const how = $("sort").value;
    if (how === "date") { sel.sort(); return; } // the events arrive newest first: index order is date order
    const key = {
      "date": (i) => -(E.day[i] ?? -1e9),
      "date-asc": (i) => E.day[i] ?? 1e9,
      "fat": (i) => -(E.fat[i] ?? -1),
      "claims": (i) => -E.nc[i],
      "sources": (i) => -(E.n[i] || 0),
    }[how];
    const arr = Array.from(sel);
    arr.sort((a, b) => key(a) - key(b) || a - b);
    sel = Int32Array.from(arr);
  }
  $("sort").addEventListener("change", () => { sortSelection(); page = 0; drawTable(); });
  $("prev").addEventListener("click", () => { if (page > 0) { page--; drawTable(); } });
  $("next").addEventListener("click", () => { if ((page + 1) * PAGE < sel.length) { page++; drawTable(); } });
  let openEvent = -1;
  function drawTable() {
    const pages = Math.max(1, Math.ceil(sel.length / PAGE));
    const rows = [];
    for (let r = page * PAGE; r < Math.min(sel.length, (page + 1) * PAGE); r++) {
      const i = sel[r];
      const gp = E.gp[i];
      rows.push(`<tr data-i="${i}" data-id="${esc(E.id[i])}"${i === openEvent ? ' class="open"' : ""}><td>${dayText(E.day[i])}</td>` +
        `<td>${esc(str(E.cc[i]))}</td><td>${esc(str(E.type[i]))}</td><td>${esc(str(E.sub[i]))}</td><td>${esc(str(E.a1[i]))}</td>` +
        `<td>${esc(str(E.a2[i]))}</td><td>${esc(str(E.loc[i]))}</td><td class="prec${gp || 3}">${esc(PREC[gp] || "")}</td>` +
        `<td class="num">${fmt(E.fat[i])}</td><td class="num">${fmt(E.wnd[i])}</td><td class="num">${E.nc[i]}</td>` +
        `<td class="num">${fmt(E.n[i])}</td></tr>`);
    }
    $("events").querySelector("tbody").innerHTML = rows.join("");
    $("events").dataset.count = sel.length;
    $("page").textContent = `page ${page + 1} of ${pages}`;
    $("table-note").textContent = `${fmt(sel.length)} events, ${PAGE} a page`;
  }
  $("events").querySelector("tbody").addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr");
    if (tr) showDetail(Number(tr.dataset.i));
  });

  // --- the map ----------------------------------------------------------------------------------------------
  const map = $("map"), mctx = map.getContext("2d");
  const view = { cx: 0, cy: 20, k: 1 };
  let drawn = new Float32Array(0), drawnIdx = new Int32Array(0);
  function sizeCanvas(c) {
    const r = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
    if (c.width !== Math.round(w * r) || c.height !== Math.round(h * r)) { c.width = Math.round(w * r); c.height = Math.round(h * r); }
    return [w, h, r];
  }
  function fitView() {
    let x0 = 180, x1 = -180, y0 = 90, y1 = -90, any = false;
    for (let i = 0; i < N; i++) {
      const lon = E.lon[i], lat = E.lat[i];
      if (lon == null || lat == null) continue;
      any = true;
      if (lon < x0) x0 = lon; if (lon > x1) x1 = lon; if (lat < y0) y0 = lat; if (lat > y1) y1 = lat;
    }
    const [w, h] = [map.clientWidth, map.clientHeight];
    if (!any) { x0 = -180; x1 = 180; y0 = -60; y1 = 80; }
    const spanX = Math.max(20, x1 - x0) * 1.15, spanY = Math.max(12, y1 - y0) * 1.15;
    view.cx = (x0 + x1) / 2; view.cy = (y0 + y1) / 2;
    view.k = Math.min(w / spanX, h / spanY);
  }
  const px = (lon, w) => (lon - view.cx) * view.k + w / 2;
  const py = (lat, h) => (view.cy - lat) * view.k + h / 2;
  function drawMap() {
    const [w, h, r] = sizeCanvas(map);
    mctx.setTransform(r, 0, 0, r, 0, 0);
    mctx.fillStyle = "#dfeaf3"; mctx.fillRect(0, 0, w, h);
    mctx.beginPath();
    for (const c of D.countries) for (const ring of c.rings) {
      for (let j = 0; j < ring.length; j += 2) {
        const x = px(ring[j] / 10, w), y = py(ring[j + 1] / 10, h);
        if (j === 0) mctx.moveTo(x, y); else mctx.lineTo(x, y);
      }
      mctx.closePath();
    }
    mctx.fillStyle = "#fbfaf6"; mctx.fill("evenodd");
    mctx.strokeStyle = "#a9b4bf"; mctx.lineWidth = 0.6; mctx.stroke();
    // Points: one path per (type, precision). Points that would land on the same pixels with the same look are
    // drawn once (at 100,000 events most of them do), so drawing costs what is visible, not what is selected.
    const order = [];
    for (const i of sel) if (E.lat[i] != null && E.lon[i] != null) order.push(i);
    const xy = new Float32Array(order.length * 2);
    const buckets = Array.from({ length: 21 }, () => []);
    const seen = new Set();
    for (let o = 0; o < order.length; o++) {
      const i = order[o];
      const x = px(E.lon[i], w), y = py(E.lat[i], h), rr = Math.min(16, 2.5 + Math.sqrt(E.fat[i] || 0) * 1.6);
      xy[o * 2] = x; xy[o * 2 + 1] = y;
      if (x < -20 || y < -20 || x > w + 20 || y > h + 20) continue;
      const b = typeIndex[i] * 3 + ((E.gp[i] || 3) - 1);
      const key = ((Math.round(x) * 4096 + Math.round(y)) * 32 + Math.round(rr)) * 21 + b;
      if (seen.has(key)) continue;
      seen.add(key);
      buckets[b].push(x, y, rr);
    }
    for (const gp of [3, 2, 1]) for (let t = 0; t <= 6; t++) {
      const pts = buckets[t * 3 + gp - 1];
      if (!pts.length) continue;
      const color = COLORS[t] || "#555";
      mctx.beginPath();
      for (let p = 0; p < pts.length; p += 3) {
        const x = pts[p], y = pts[p + 1], rr = pts[p + 2];
        if (gp === 3) { mctx.moveTo(x, y - rr - 1); mctx.lineTo(x + rr + 1, y); mctx.lineTo(x, y + rr + 1); mctx.lineTo(x - rr - 1, y); mctx.closePath(); }
        else { mctx.moveTo(x + rr, y); mctx.arc(x, y, rr, 0, 2 * Math.PI); }
      }
      if (gp === 1) { mctx.globalAlpha = 0.75; mctx.fillStyle = color; mctx.fill(); mctx.globalAlpha = 1; mctx.strokeStyle = "#fff"; mctx.lineWidth = 0.5; mctx.stroke(); }
      else { mctx.strokeStyle = color; mctx.lineWidth = gp === 2 ? 1.6 : 1.4; mctx.setLineDash(gp === 3 ? [3, 2] : []); mctx.stroke(); mctx.setLineDash([]); }
    }
    map.dataset.marks = seen.size;
    drawn = xy; drawnIdx = Int32Array.from(order);
    map.dataset.count = order.length;
    map.dataset.unplaced = sel.length - order.length;
    $("map-note").textContent = `${fmt(order.length)} placed` + (sel.length - order.length ? `, ${fmt(sel.length - order.length)} without coordinates` : "") + "; scroll to zoom, drag to pan, click a point";
  }
  let drag = null;
  map.addEventListener("mousedown", (e) => { drag = { x: e.offsetX, y: e.offsetY, cx: view.cx, cy: view.cy, moved: false }; });
  window.addEventListener("mouseup", () => { setTimeout(() => (drag = null), 0); });
  map.addEventListener("mousemove", (e) => {
    if (!drag || !(e.buttons & 1)) return;
    const dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.cx = drag.cx - dx / view.k; view.cy = drag.cy + dy / view.k;
    drawMap();
  });
  map.addEventListener("wheel", (e) => {
    e.preventDefault();
    const w = map.clientWidth, h = map.clientHeight;
    const lon = (e.offsetX - w / 2) / view.k + view.cx, lat = view.cy - (e.offsetY - h / 2) / view.k;
    view.k *= e.deltaY < 0 ? 1.25 : 0.8;
    view.cx = lon - (e.offsetX - w / 2) / view.k; view.cy = lat + (e.offsetY - h / 2) / view.k;
    drawMap();
  }, { passive: false });
  map.addEventListener("click", (e) => {
    if (drag && drag.moved) return;
    let best = -1, bestD = 100;
    for (let o = 0; o < drawnIdx.length; o++) {
      const dx = drawn[o * 2] - e.offsetX, dy = drawn[o * 2 + 1] - e.offsetY, d = dx * dx + dy * dy;
      if (d <= bestD) { bestD = d; best = drawnIdx[o]; }
    }
    if (best >= 0) showDetail(best);
  });
  const legend = TYPES.map((t, i) => `<span><i class="sw" style="background:${COLORS[i]}"></i>${esc(t)}</span>`).join("");
  $("legend").innerHTML = legend + '<span>&#9679; town</span><span>&#9675; near / part of</span><span>&#9671; region or country only</span><span>size: killed</span>';

  // --- the timeline -------------------------------------------------------------------------------------------
  const tl = $("timeline"), tctx = tl.getContext("2d");
  let bins = null;
  function drawTimeline() {
    const [w, h, r] = sizeCanvas(tl);
    tctx.setTransform(r, 0, 0, r, 0, 0);
    tctx.clearRect(0, 0, w, h);
    const left = 40, right = 40, top = 10, bottom = 24, plotW = w - left - right, plotH = h - top - bottom;
    const days = maxDay - minDay + 1;
    const nb = Math.max(1, Math.min(days, Math.floor(plotW / 3)));
    const per = Math.ceil(days / nb);
    const nbins = Math.ceil(days / per);
    const counts = new Int32Array(nbins * 7), fat = new Float64Array(nbins);
    let total = 0, totalFat = 0;
    for (const i of sel) {
      const d = E.day[i];
      if (d == null) continue;
      const b = Math.floor((d - minDay) / per);
      counts[b * 7 + typeIndex[i]]++;
      fat[b] += E.fat[i] || 0;
      total++; totalFat += E.fat[i] || 0;
    }
    let maxC = 1, maxF = 1;
    for (let b = 0; b < nbins; b++) {
      let s = 0; for (let t = 0; t < 7; t++) s += counts[b * 7 + t];
      if (s > maxC) maxC = s; if (fat[b] > maxF) maxF = fat[b];
    }
    const bw = plotW / nbins;
    for (let b = 0; b < nbins; b++) {
      let y = top + plotH;
      for (let t = 0; t < 7; t++) {
        const c = counts[b * 7 + t];
        if (!c) continue;
        const hh = (c / maxC) * plotH;
        tctx.fillStyle = COLORS[t] || "#777";
        tctx.fillRect(left + b * bw, y - hh, Math.max(1, bw - (bw > 3 ? 1 : 0)), hh);
        y -= hh;
      }
    }
    tctx.strokeStyle = "#222"; tctx.lineWidth = 1.5; tctx.beginPath();
    for (let b = 0; b < nbins; b++) {
      const x = left + (b + 0.5) * bw, y = top + plotH - (fat[b] / maxF) * plotH;
      if (b === 0) tctx.moveTo(x, y); else tctx.lineTo(x, y);
    }
    if (totalFat > 0) tctx.stroke();
    tctx.fillStyle = "#444"; tctx.font = "11px system-ui, sans-serif";
    tctx.fillText(fmt(maxC), 2, top + 8); tctx.fillText("0", 2, top + plotH);
    tctx.textAlign = "right"; tctx.fillText(fmt(maxF) + " killed", w - 2, top + 8); tctx.textAlign = "left";
    tctx.fillText(dayText(minDay), left, h - 6);
    tctx.textAlign = "right"; tctx.fillText(dayText(maxDay), w - right, h - 6); tctx.textAlign = "left";
    bins = { left, bw, per, nbins };
    tl.dataset.count = total;
    tl.dataset.fatalities = totalFat;
    $("timeline-note").textContent = `${fmt(total)} events, ${fmt(totalFat)} killed; ${per === 1 ? "a bar a day" : `a bar per ${per} days`}; click a bar to filter its days`;
  }
  tl.addEventListener("click", (e) => {
    if (!bins) return;
    const b = Math.floor((e.offsetX - bins.left) / bins.bw);
    if (b < 0 || b >= bins.nbins) return;
    $("f-from").value = dayText(minDay + b * bins.per);
    $("f-to").value = dayText(Math.min(maxDay, minDay + (b + 1) * bins.per - 1));
    applyFilters();
  });
  $("timeline-legend").innerHTML = legend + "<span>&mdash; killed (line, right scale)</span>";

  // --- an event's detail --------------------------------------------------------------------------------------
  function articleLink(a) {
    const art = D.articles[a];
    if (!art) return "";
    const outlet = str(art[1]) || "source";
    const safe = /^https?:\/\//i.test(art[0] || ""); // only web links become links (never javascript: or file:)
    return safe ? `<a href="${esc(art[0])}" target="_blank" rel="noopener noreferrer">${esc(outlet)}</a>` : esc(outlet);
  }
  function showDetail(i) {
    if (!detailLoaded) { detailReady.then(() => showDetail(i)); return; }
    openEvent = i;
    const claims = E.claims[i] || [];
    const cards = claims.map((c, k) => `<div class="claim" data-claim="${k}"><div class="who">${esc(str(c[0]) || "unattributed")}</div>` +
      `<div class="fig">${c[1] == null ? "&ndash;" : fmt(c[1])} killed, ${c[2] == null ? "&ndash;" : fmt(c[2])} wounded${c[3] ? " (vague)" : ""}</div>` +
      `<div class="phrase">&ldquo;${esc(c[4])}&rdquo;</div><div>read in ${c[5] >= 0 ? articleLink(c[5]) : "the event's article"}</div></div>`).join("");
    const sources = (E.src[i] || []).map((a) => {
      const art = D.articles[a] || [];
      return `<li>${articleLink(a)}: ${esc(art[2] || art[0] || "")} ${art[3] ? `<small>(${esc(art[3])}${art[4] ? ", " + esc(art[4]) : ""})</small>` : ""}</li>`;
    }).join("");
    const place = [str(E.loc[i]), str(E.adm2[i]), str(E.adm1[i]), D.country_names[str(E.cc[i])] || str(E.cc[i])].filter(Boolean).join(", ");
    $("detail-id").textContent = E.id[i];
    $("detail-body").innerHTML =
      `<p><b>${esc(str(E.sub[i]))}</b> (${esc(str(E.type[i]))}; ${esc(str(E.dis[i]))}) on ${dayText(E.day[i])}` +
      ` in ${esc(place)}</p>` +
      `<h3>Claims (${claims.length})</h3><div class="claims" id="claims" data-count="${claims.length}">${cards || "<p>No casualty figure reported.</p>"}</div>` +
      `<h3>Evidence</h3><blockquote id="evidence">${esc(E.ev[i])}</blockquote>` +
      `<dl class="facts">` +
      `<dt>Actors</dt><dd>${esc(str(E.a1[i]) || "unknown")} <small>${esc(str(E.t1[i]))}</small> &rarr; ${esc(str(E.a2[i]) || "none")} <small>${esc(str(E.t2[i]))}</small></dd>` +
      `<dt>Headline figure</dt><dd>${fmt(E.fat[i]) || "no"} killed, ${fmt(E.wnd[i]) || "no"} wounded${E.by[i] >= 0 ? ", claimed by " + esc(str(E.by[i])) : ""}${E.vague[i] ? " (vague: " + esc(E.ctxt[i]) + ")" : ""}</dd>` +
      `<dt>Date</dt><dd>${dayText(E.day[i])}, precision ${E.dp[i] ?? "?"} (${{ 1: "day", 2: "week", 3: "month" }[E.dp[i]] || "unknown"}), from &ldquo;${esc(E.dtxt[i])}&rdquo;</dd>` +
      `<dt>Place</dt><dd>${esc(place)}; written &ldquo;${esc(str(E.ltxt[i]))}&rdquo;; ${E.lat[i] == null ? "no coordinates" : `${E.lat[i]}, ${E.lon[i]}`}</dd>` +
      `<dt>Geo precision</dt><dd class="prec${E.gp[i] || 3}">${E.gp[i] ?? "?"}: ${esc(PREC[E.gp[i]] || "unknown")} (${esc(str(E.gs[i]))})</dd>` +
      `<dt>Sources</dt><dd>${fmt(E.n[i])} article(s)</dd><dt>Confidence</dt><dd>${E.conf[i] ?? ""}</dd><dt>Language</dt><dd>${esc(str(E.lang[i]))}</dd></dl>` +
      `<h3>Source articles</h3><ul id="sources">${sources}</ul>`;
    $("detail").hidden = false;
    for (const tr of $("events").querySelectorAll("tbody tr")) tr.classList.toggle("open", Number(tr.dataset.i) === i);
    $("detail").scrollIntoView({ block: "nearest" });
  }
  $("detail-close").addEventListener("click", () => { $("detail").hidden = true; openEvent = -1; drawTable(); });

  // --- feed health --------------------------------------------------------------------------------------------
  const failing = D.feeds.filter((f) => f[1] !== "ok" && f[1] !== "not_modified").length;
  const notMod = D.feeds.filter((f) => f[1] === "not_modified").length;
  $("feed-summary").textContent = `${D.feeds.length} feeds: ${D.feeds.length - failing - notMod} ok, ${notMod} answered 304 (not modified), ${failing} failing at their last poll.`;
  $("feeds").querySelector("tbody").innerHTML = D.feeds.map((f) =>
    `<tr class="${f[1] === "not_modified" ? "notmod" : f[1] === "ok" ? "" : "failing"}"><td>${esc(f[0])}</td><td>${esc(f[1])}</td><td>${f[2] ?? ""}</td>` +
    `<td class="num">${fmt(f[3])}</td><td class="num">${fmt(f[4])}</td><td>${f[8]} / ${f[9]} / ${f[10]}</td><td>${esc(f[6])}</td><td>${esc(f[5])}</td></tr>`).join("");
  $("dead").querySelector("tbody").innerHTML = D.dead.map((d) => `<tr><td>${esc(d[0])}</td><td>${esc(d[1])}</td><td class="num">${fmt(d[2])}</td></tr>`).join("") ||
    "<tr><td colspan=3>none</td></tr>";

  // --- go -----------------------------------------------------------------------------------------------------
  function drawAll() {
    const a = performance.now(); drawMap(); const b = performance.now(); drawTimeline(); const c = performance.now(); drawTable();
    Object.assign(window.reportTiming, { mapMs: b - a, timelineMs: c - b, tableMs: performance.now() - c });
    const shown = $("shown");
    shown.dataset.count = sel.length;
    shown.textContent = `${fmt(sel.length)} of ${fmt(N)} events`;
  }
  window.reportTiming = { inflateMs: T1 - T0, setupMs: performance.now() - T1 };
  window.addEventListener("resize", () => drawAll());
  fitView();
  applyFilters();
  window.reportTiming.drawMs = window.reportTiming.lastFilterMs;
  // Ready once the browser has painted the first frame (canvas drawing is rasterised at paint time).
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  window.reportTiming.scriptToPaintMs = performance.now() - T0;
  window.reportTiming.readyMs = performance.now(); // since navigation started
  document.body.dataset.ready = "1";
  const parts = { events: {}, articles: [] };
  for (const element of document.querySelectorAll("script.detail-data")) {
    await new Promise((resolve) => setTimeout(resolve, 0)); // let clicks and filters in between chunks
    const part = await inflate(element);
    for (const [k, v] of Object.entries(part.events)) (parts.events[k] = parts.events[k] || []).push(v);
    parts.articles.push(part.articles);
  }
  for (const [k, v] of Object.entries(parts.events)) E[k] = [].concat(...v);
  D.articles = [].concat(...parts.articles);
  detailLoaded = true;
  window.reportTiming.detailMs = performance.now(); // since navigation started
  document.body.dataset.detail = "1";
  releaseDetail();
})().catch((err) => {
  document.body.dataset.ready = "error";
  document.getElementById("summary").textContent = "The report could not be drawn: " + err;
  throw err;
});
