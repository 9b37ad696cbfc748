// company-reviewer web UI: plain DOM, no framework, no build step. Every piece of review text is
// inserted with textContent (never innerHTML), so "<script>" in a review is shown as text.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
const OPEN_ACCESS = document.body.dataset.openAccess === "true";
const state = { key: "", review: null, company: null, local: null, companies: [] };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child === null || child === undefined ? "" : child);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function showStatus(message, kind = "error") {
  const box = document.getElementById("status");
  box.textContent = message;
  box.className = "status" + (kind === "info" ? " info" : "");
  box.hidden = !message;
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.key) headers["Authorization"] = "Bearer " + state.key;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    if (response.status === 401 || response.status === 403) detail += " \u2014 paste a valid API key above.";
    throw new Error(`${response.status}: ${detail}`);
  }
  return response;
}

const postJSON = (path, body) => api(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
});

function fmt(value) { return value === null || value === undefined ? "\u2013" : value.toFixed(2); }
function fmtInterval(interval) { return interval ? `${interval[0].toFixed(1)}\u2013${interval[1].toFixed(1)}` : "no interval"; }

// -- setup -----------------------------------------------------------------------------------
async function loadLists() {
  const [models, companies] = await Promise.all([
    api("/v1/models").then(r => r.json()), api("/v1/companies").then(r => r.json()),
  ]);
  for (const id of ["model", "compare-model"]) {
    const select = document.getElementById(id);
    select.replaceChildren(...models.models.map(m => el("option", { value: m }, m)));
    select.value = models.default;
  }
  state.companies = companies.companies;
  const select = document.getElementById("company");
  select.replaceChildren(...state.companies.map(c => el("option", { value: c.key }, `${c.company} (${c.source}, ${c.n_reviews} reviews)`)));
  const list = document.getElementById("compare-list");
  list.replaceChildren(...state.companies.map(c => el("label", { class: "inline" },
    el("input", { type: "checkbox", value: c.key, name: "compare" }), ` ${c.company} (${c.source})`)));
  if (!state.companies.length) showStatus("The store has no companies yet: ingest some (`company-reviewer ingest FILE`), or upload/paste reviews.", "info");
}

async function start() {
  const keyForm = document.getElementById("key-form");
  keyForm.hidden = OPEN_ACCESS;
  state.key = sessionStorage.getItem("apiKey") || localStorage.getItem("apiKey") || "";
  document.getElementById("api-key").value = state.key;
  keyForm.addEventListener("submit", async event => {
    event.preventDefault();
    state.key = document.getElementById("api-key").value.trim();
    sessionStorage.setItem("apiKey", state.key);
    if (document.getElementById("remember-key").checked) localStorage.setItem("apiKey", state.key);
    else localStorage.removeItem("apiKey");
    await refresh();
  });
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => switchTab(tab));
  for (const radio of document.querySelectorAll("input[name=source]")) radio.addEventListener("change", switchSource);
  document.getElementById("upload-file").addEventListener("change", uploadFile);
  document.getElementById("review-form").addEventListener("submit", event => { event.preventDefault(); runReview(); });
  document.getElementById("compare-form").addEventListener("submit", event => { event.preventDefault(); runCompare(); });
  document.getElementById("chat-form").addEventListener("submit", event => { event.preventDefault(); ask(); });
  document.getElementById("download-json").addEventListener("click", downloadJSON);
  document.getElementById("download-md").addEventListener("click", downloadMarkdown);
  if (OPEN_ACCESS || state.key) await refresh();
  else showStatus("Paste an API key above (create one with `company-reviewer keys create NAME`).", "info");
}

async function refresh() {
  try { showStatus(""); await loadLists(); } catch (error) { showStatus(error.message); }
}

function switchTab(tab) {
  for (const other of document.querySelectorAll(".tab")) other.classList.toggle("active", other === tab);
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== tab.dataset.tab;
}

function switchSource() {
  const chosen = document.querySelector("input[name=source]:checked").value;
  for (const box of document.querySelectorAll("[data-source]")) box.hidden = box.dataset.source !== chosen;
}

async function uploadFile() {
  const file = document.getElementById("upload-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  try {
    const parsed = await (await api("/v1/parse", { method: "POST", body: form })).json();
    state.uploaded = parsed.reviews;
    const select = document.getElementById("upload-company");
    select.replaceChildren(...parsed.companies.map(c => el("option", { value: c }, c)));
    showStatus(`Read ${parsed.reviews.length} reviews of ${parsed.companies.length} companies` +
      (parsed.n_rejected ? `; ${parsed.n_rejected} rows rejected (first: ${parsed.rejected[0].reason})` : ""), "info");
  } catch (error) { showStatus(error.message); }
}

function pastedReviews() {
  const text = document.getElementById("paste-text").value.trim();
  if (text.startsWith("[")) return JSON.parse(text);
  return text.split(/\n\s*\n/).map(p => p.trim()).filter(Boolean).map((p, i) => ({ review_id: `pasted-${i + 1}`, text: p }));
}

// -- review -------------------------------------------------------------------------------------
async function runReview() {
  const source = document.querySelector("input[name=source]:checked").value;
  const model = document.getElementById("model").value;
  const maxReviews = parseInt(document.getElementById("max-reviews").value, 10) || 50;
  const button = document.getElementById("review-btn");
  button.disabled = true;
  showStatus("Reviewing\u2026", "info");
  try {
    let review;
    if (source === "store") {
      const company = document.getElementById("company").value;
      if (!company) throw new Error("Pick a company first.");
      const query = new URLSearchParams({ model, max_reviews: maxReviews });
      review = await (await api(`/v1/companies/${encodeURIComponent(company)}/review?${query}`)).json();
      state.company = company; state.local = null;
    } else {
      const company = source === "upload" ? document.getElementById("upload-company").value
        : document.getElementById("paste-company").value.trim();
      if (!company) throw new Error(source === "upload" ? "Upload a file first." : "Give the company's name.");
      let reviews = source === "upload" ? (state.uploaded || []).filter(r => r.company === company) : pastedReviews();
      reviews = reviews.map(r => Object.assign({}, r, { company }));
      review = await (await postJSON("/v1/reviews", { company, reviews, model, max_reviews: maxReviews })).json();
      state.company = company; state.local = reviews;
    }
    state.review = review;
    renderReview(review);
    showStatus("");
  } catch (error) { showStatus(error.message); } finally { button.disabled = false; }
}

function renderReview(review) {
  document.getElementById("result").hidden = false;
  document.getElementById("result-company").textContent = review.company;
  const o = review.overall;
  document.getElementById("result-overall").textContent = o.rating === null ? `No overall rating \u00b7 ${review.n_reviews_used} reviews`
    : `Overall ${o.rating.toFixed(2)} / 5 (90% interval ${fmtInterval(o.interval)}) \u00b7 ${review.n_reviews_used} reviews \u00b7 model ${review.model.name} ${review.model.version}`;
  document.getElementById("result-verdict").textContent = o.verdict;
  document.getElementById("chart").replaceChildren(ratingChart([{ name: review.company, review }]));
  document.getElementById("dimensions").replaceChildren(...Object.entries(review.dimensions).map(([id, d]) => dimensionCard(id, d)));
  document.getElementById("answer").replaceChildren();
}

function dimensionCard(id, d) {
  const rating = d.rating === null ? "not rated" : `${d.rating.toFixed(2)} / 5 (${fmtInterval(d.interval)})`;
  const list = items => el("ul", {}, ...items.map(t => el("li", {}, t)));
  return el("article", { class: "dimension", "data-dimension": id },
    el("h3", {}, `${d.label} \u2014 ${rating}`),
    el("p", { class: "meta" }, `${d.mentions} reviews mention it`),
    el("p", {}, d.summary),
    el("div", { class: "cols" },
      el("div", { class: "pros" }, el("h4", {}, "Pros"), d.pros.length ? list(d.pros) : el("p", { class: "meta" }, "none recurring")),
      el("div", { class: "cons" }, el("h4", {}, "Cons"), d.cons.length ? list(d.cons) : el("p", { class: "meta" }, "none recurring"))),
    d.evidence.length ? el("h4", {}, "Evidence (click a quote for the whole review)") : "",
    ...d.evidence.map(e => quoteBlock(e.quote, e.review_id, e.sentiment)));
}

function quoteBlock(quote, reviewId, sentiment, label) {
  const details = el("details", { class: `quote ${sentiment}`, "data-review-id": reviewId },
    el("summary", {}, (label ? label + " " : "") + `\u201c${quote}\u201d`, el("span", { class: "meta" }, ` \u2014 review ${reviewId} (${sentiment})`)));
  details.addEventListener("toggle", () => { if (details.open && details.childElementCount === 1) expandReview(details, reviewId, quote); });
  return details;
}

async function expandReview(details, reviewId, quote) {
  const box = el("div", { class: "source-review" }, "loading\u2026");
  details.append(box);
  try {
    let review = state.local ? state.local.find(r => String(r.review_id) === String(reviewId)) : null;
    if (!review && !state.local) {
      review = await (await api(`/v1/companies/${encodeURIComponent(state.company)}/reviews/${encodeURIComponent(reviewId)}`)).json();
    }
    if (!review) throw new Error("the source review is not available");
    const parts = [];
    for (const field of ["headline", "pros", "cons", "advice", "text"]) {
      const text = review[field];
      if (!text) continue;
      const at = text.indexOf(quote);
      const body = at < 0 ? [text] : [text.slice(0, at), el("mark", {}, quote), text.slice(at + quote.length)];
      parts.push(el("div", { "data-field": field }, el("strong", {}, field + ": "), ...body));
    }
    const meta = [review.date, review.job_title, review.rating_overall ? `${review.rating_overall}\u2605` : null].filter(Boolean).join(" \u00b7 ");
    box.replaceChildren(el("div", { class: "meta" }, meta), ...parts);
  } catch (error) { box.textContent = error.message; }
}

// -- chart ----------------------------------------------------------------------------------------
function ratingChart(series) {
  const first = series[0].review;
  const rows = [["overall", "Overall"], ...Object.entries(first.dimensions).map(([id, d]) => [id, d.label])];
  const left = 190, width = 460, rowHeight = 14 + 8 * series.length, top = 24;
  const height = top + rows.length * rowHeight + 10;
  const x = v => left + (v - 1) / 4 * width;
  const chart = svg("svg", { width: left + width + 60, height, viewBox: `0 0 ${left + width + 60} ${height}`, role: "img",
    "aria-label": "Ratings with 90% intervals" });
  for (let v = 1; v <= 5; v++) {
    chart.append(svg("line", { x1: x(v), x2: x(v), y1: top - 6, y2: height - 8, stroke: "#d8dde5" }));
    chart.append(svg("text", { x: x(v), y: 14, "text-anchor": "middle" }, String(v)));
  }
  rows.forEach(([id, label], row) => {
    const y0 = top + row * rowHeight;
    chart.append(svg("text", { x: 4, y: y0 + rowHeight / 2 + 4 }, label));
    series.forEach((s, i) => {
      const entry = id === "overall" ? s.review.overall : s.review.dimensions[id];
      const y = y0 + 8 + i * 8, color = COLORS[i % COLORS.length];
      if (!entry || entry.rating === null) {
        chart.append(svg("text", { x: x(1) + 4, y: y + 4, fill: "#8a94a6", class: "unrated" }, "not rated"));
        return;
      }
      if (entry.interval) chart.append(svg("line", { x1: x(entry.interval[0]), x2: x(entry.interval[1]), y1: y, y2: y,
        stroke: color, "stroke-width": 3, "stroke-opacity": 0.45, class: "interval" }));
      const dot = svg("circle", { cx: x(entry.rating), cy: y, r: 4.5, fill: color, class: "rating" });
      dot.append(svg("title", {}, `${s.name}: ${label} ${entry.rating.toFixed(2)} (${fmtInterval(entry.interval)})`));
      chart.append(dot);
      if (series.length === 1) chart.append(svg("text", { x: left + width + 8, y: y + 4 }, entry.rating.toFixed(2)));
    });
  });
  return chart;
}

// -- compare ----------------------------------------------------------------------------------------
async function runCompare() {
  const chosen = [...document.querySelectorAll("input[name=compare]:checked")].map(box => box.value);
  if (chosen.length < 2 || chosen.length > 4) { showStatus("Pick between 2 and 4 companies to compare."); return; }
  const model = document.getElementById("compare-model").value;
  showStatus("Reviewing\u2026", "info");
  try {
    const reviews = await Promise.all(chosen.map(c =>
      api(`/v1/companies/${encodeURIComponent(c)}/review?model=${encodeURIComponent(model)}`).then(r => r.json())));
    const series = reviews.map((review, i) => ({ name: state.companies.find(c => c.key === chosen[i])?.company || chosen[i], review }));
    const legend = el("p", {}, ...series.map((s, i) => {
      const swatch = el("span", { class: "legend-swatch" });
      swatch.style.background = COLORS[i];
      return el("span", { class: "inline" }, swatch, s.name + "  ");
    }));
    document.getElementById("compare-chart").replaceChildren(legend, ratingChart(series));
    const table = document.getElementById("compare-table");
    const head = el("tr", {}, el("th", {}, "Dimension"), ...series.map(s => el("th", {}, s.name)));
    const cell = e => el("td", {}, e.rating === null ? "not rated" : `${fmt(e.rating)} (${fmtInterval(e.interval)})`);
    const rows = [el("tr", {}, el("td", {}, "Overall"), ...series.map(s => cell(s.review.overall)))];
    for (const [id, d] of Object.entries(series[0].review.dimensions)) {
      rows.push(el("tr", { "data-dimension": id }, el("td", {}, d.label), ...series.map(s => cell(s.review.dimensions[id]))));
    }
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
    document.getElementById("compare-result").hidden = false;
    showStatus("");
  } catch (error) { showStatus(error.message); }
}

// -- chat -------------------------------------------------------------------------------------------
async function ask() {
  const question = document.getElementById("question").value.trim();
  if (!question || !state.review) return;
  const box = document.getElementById("answer");
  box.replaceChildren(el("p", { class: "meta" }, "searching the reviews\u2026"));
  try {
    const body = { company: state.local ? state.review.company : state.company, question };
    if (state.local) body.reviews = state.local;
    const result = await (await postJSON("/v1/chat", body)).json();
    const how = result.mode === "llm" ? `answered by ${result.model} from the quotes below` : "extracted from the reviews";
    box.replaceChildren(
      el("p", { class: "answer-text", id: "answer-text" }, result.answer),
      el("p", { class: "meta" }, how + (result.note ? ` (${result.note})` : "")),
      ...result.quotes.map(q => quoteBlock(q.quote, q.review_id, q.sentiment, `[${q.n}]`)));
  } catch (error) { box.replaceChildren(el("p", {}, error.message)); }
}

// -- downloads --------------------------------------------------------------------------------------
function save(filename, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function slug() { return (state.review.company || "company").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "company"; }

function downloadJSON() {
  if (state.review) save(`${slug()}-review.json`, "application/json", JSON.stringify(state.review, null, 2) + "\n");
}

async function downloadMarkdown() {
  if (!state.review) return;
  try { save(`${slug()}-review.md`, "text/markdown", await (await postJSON("/v1/render/markdown", state.review)).text()); }
  catch (error) { showStatus(error.message); }
}

start();
