// company-reviewer web UI: plain DOM, no framework, no build step, no CDN.
// Review text (quotes, paragraphs, pros/cons, company names, answers) is only ever inserted as text
// (textContent / text nodes, never innerHTML), and never becomes a link or an image, so "<script>"
// or "<img onerror>" in a review is shown as the characters it is. The page's CSP (script-src
// 'self') is the second line of defence.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
// One colour per company, distinguishable for the common colour-vision deficiencies (Okabe-Ito).
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"];
const OPEN_ACCESS = document.body.dataset.openAccess === "true";
const state = { key: "", review: null, company: null, local: null, companies: [], uploaded: null,
  jobResults: null, compare: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
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

// -- numbers: one rounding rule, the one the server's text uses (Python's "{:.1f}": the exact
// value, ties to even), so a card's heading and its paragraph never disagree -----------------------
function fmt1(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "\u2013";
  const exact = Math.abs(value).toFixed(20);
  const [whole, decimals] = exact.split(".");
  if (/^\d50*$/.test(decimals)) {  // an exact tie: round to the even digit
    const digit = Number(decimals[0]);
    const down = `${whole}.${digit}`;
    const rounded = digit % 2 === 0 ? down : (Number(down) + 0.1).toFixed(1);
    return (value < 0 ? "-" : "") + rounded;
  }
  return value.toFixed(1);
}
function fmtInterval(interval) { return interval ? `${fmt1(interval[0])}\u2013${fmt1(interval[1])}` : "no interval"; }
function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }
function band(rating) {
  if (rating === null || rating === undefined) return "unrated";
  return rating >= 3.75 ? "good" : rating >= 2.75 ? "mixed" : "poor";
}
const BAND_WORDS = { good: "good", mixed: "mixed", poor: "weak", unrated: "not rated" };

// -- messages: errors, info and progress ------------------------------------------------------------
function showStatus(message, kind = "error") {
  const box = document.getElementById("status");
  box.replaceChildren();
  box.className = "status " + kind;
  box.hidden = !message;
  if (!message) return;
  const title = kind === "error" ? "Something went wrong" : kind === "ok" ? "Done" : "Note";
  box.append(el("strong", { class: "status-title" }, title), el("span", { class: "status-text" }, message));
  const close = el("button", { type: "button", class: "status-close", "aria-label": "Dismiss" }, "\u00d7");
  close.addEventListener("click", () => { box.hidden = true; });
  box.append(close);
  if (kind === "error") box.scrollIntoView({ block: "nearest" });
}

const progress = {
  timer: null, started: 0,
  start(text, total = null) {
    this.started = performance.now();
    document.getElementById("progress").hidden = false;
    this.update(text, 0, total);
    clearInterval(this.timer);
    this.tick();
    this.timer = setInterval(() => this.tick(), 250);
  },
  update(text, done = null, total = null) {
    document.getElementById("progress-text").textContent = text;
    const bar = document.getElementById("progress-bar");
    if (total) {
      bar.max = total;
      bar.value = done || 0;
      bar.setAttribute("aria-valuetext", `${done} of ${total} (${Math.round(100 * (done || 0) / total)}%)`);
    } else {
      bar.removeAttribute("value");  // indeterminate
      bar.removeAttribute("aria-valuetext");
    }
  },
  tick() {
    const seconds = (performance.now() - this.started) / 1000;
    document.getElementById("progress-time").textContent = seconds < 1 ? "" : `${Math.floor(seconds)} s`;
  },
  stop() {
    clearInterval(this.timer);
    this.timer = null;
    document.getElementById("progress").hidden = true;
    return (performance.now() - this.started) / 1000;
  },
};

class ApiError extends Error {}

function describeDetail(detail) {
  if (Array.isArray(detail)) {  // FastAPI's validation errors
    return detail.map(d => `${(d.loc || []).filter(p => p !== "body").join(".") || "request"}: ${d.msg}`).join("; ");
  }
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.key) headers["Authorization"] = "Bearer " + state.key;
  let response;
  try {
    response = await fetch(path, Object.assign({}, options, { headers }));
  } catch (_) {
    throw new ApiError("The server cannot be reached. Is `company-reviewer serve` still running? Reload the page once it is.");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = describeDetail((await response.json()).detail) || detail; } catch (_) { /* not JSON */ }
    const id = response.headers.get("x-request-id");
    const advice = {
      401: "Paste a valid API key at the top of the page.",
      403: "This key is invalid or revoked: paste a valid one at the top of the page.",
      404: "",
      413: "The request is too large for this server: send fewer reviews or a smaller file.",
      422: "",
      429: `Too many requests: wait ${response.headers.get("retry-after") || "a few"} s and try again.`,
    }[response.status];
    const server = response.status >= 500 ? `The server failed${id ? ` (request ${id})` : ""}; its log has the details. ` : "";
    throw new ApiError(`${server}${detail}${advice ? " \u2014 " + advice : ""} (HTTP ${response.status})`);
  }
  return response;
}

const postJSON = (path, body) => api(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
});

// -- setup ------------------------------------------------------------------------------------------
async function loadLists() {
  const [models, companies, taxonomies] = await Promise.all([
    api("/v1/models").then(r => r.json()), api("/v1/companies").then(r => r.json()),
    api("/v1/taxonomies").then(r => r.json()).catch(() => ({ taxonomies: [], default: "default" })),
  ]);
  // The dimensions a review can use, by name as the server offers them (built-ins and configured files).
  // The option says how many; its title lists the labels (a long option would widen the form on a phone).
  for (const id of ["taxonomy", "compare-taxonomy"]) {
    const select = document.getElementById(id);
    const chosen = select.value;
    select.replaceChildren(...taxonomies.taxonomies.map(t => el("option", {
      value: t.name, title: t.dimensions.map(d => d.label).join(", "),
    }, `${t.name} (${t.dimensions.length} dimensions)`)));
    if (!select.options.length) select.append(el("option", { value: "default" }, "default"));
    select.value = [...select.options].some(o => o.value === chosen) ? chosen : taxonomies.default;
  }
  for (const id of ["model", "compare-model"]) {
    const select = document.getElementById(id);
    select.replaceChildren(...models.models.map(m => el("option", { value: m }, m)));
    select.value = models.default;
  }
  state.companies = companies.companies;
  const select = document.getElementById("company");
  select.replaceChildren(...state.companies.map(c => el("option", { value: c.key }, `${c.company} (${c.source}, ${c.n_reviews} reviews)`)));
  const list = document.getElementById("compare-list");
  list.replaceChildren(...state.companies.map(c => el("label", { class: "chip" },
    el("input", { type: "checkbox", value: c.key, name: "compare" }),
    el("span", {}, c.company), el("span", { class: "meta" }, ` ${c.source} \u00b7 ${c.n_reviews}`))));
  if (!state.companies.length) showStatus("The store has no companies yet: ingest some (`company-reviewer ingest FILE`), or upload or paste reviews.", "info");
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
  document.getElementById("job-company").addEventListener("change", showJobResult);
  let lastWidth = window.innerWidth;
  window.addEventListener("resize", () => {
    if (Math.abs(window.innerWidth - lastWidth) < 40) return;
    lastWidth = window.innerWidth;
    if (state.review) document.getElementById("chart").replaceChildren(ratingChart([{ name: state.review.company, review: state.review }], chartWidth("chart")));
    if (state.compare) document.getElementById("compare-chart").replaceChildren(ratingChart(state.compare, chartWidth("compare-chart")));
  });
  if (OPEN_ACCESS || state.key) await refresh();
  else showStatus("Paste an API key above (create one with `company-reviewer keys create NAME`).", "info");
}

async function refresh() {
  try { showStatus(""); await loadLists(); } catch (error) { showStatus(error.message); }
}

function switchTab(tab) {
  for (const other of document.querySelectorAll(".tab")) {
    other.classList.toggle("active", other === tab);
    other.setAttribute("aria-pressed", String(other === tab));
  }
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== tab.dataset.tab;
}

function switchSource() {
  const chosen = document.querySelector("input[name=source]:checked").value;
  for (const box of document.querySelectorAll("[data-source]")) box.hidden = box.dataset.source !== chosen;
}

const ALL_COMPANIES = "\u0000all";

async function uploadFile() {
  const file = document.getElementById("upload-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  progress.start(`Reading ${file.name}\u2026`);
  try {
    const parsed = await (await api("/v1/parse", { method: "POST", body: form })).json();
    state.uploaded = parsed.reviews;
    const select = document.getElementById("upload-company");
    const counts = new Map();
    for (const r of parsed.reviews) counts.set(r.company, (counts.get(r.company) || 0) + 1);
    const options = parsed.companies.map(c => el("option", { value: c }, `${c} (${plural(counts.get(c) || 0, "review", "reviews")})`));
    if (parsed.companies.length > 1) options.push(el("option", { value: ALL_COMPANIES }, `All ${parsed.companies.length} companies (one background job)`));
    select.replaceChildren(...options);
    const rejected = parsed.n_rejected ? `; ${plural(parsed.n_rejected, "row", "rows")} rejected (first: row ${parsed.rejected[0].row}, ${parsed.rejected[0].reason})` : "";
    showStatus(`Read ${plural(parsed.reviews.length, "review", "reviews")} of ${plural(parsed.companies.length, "company", "companies")} from ${file.name}${rejected}.`, "info");
  } catch (error) { showStatus(error.message); } finally { progress.stop(); }
}

function pastedReviews() {
  const text = document.getElementById("paste-text").value.trim();
  if (!text) throw new ApiError("Paste some reviews first: one per paragraph, with a blank line between reviews.");
  if (text.startsWith("[")) {
    try { return JSON.parse(text); } catch (error) {
      throw new ApiError(`The pasted text starts with "[" but is not a valid JSON array (${error.message}). Fix it, or paste plain paragraphs.`);
    }
  }
  return text.split(/\n\s*\n/).map(p => p.trim()).filter(Boolean).map((p, i) => ({ review_id: `pasted-${i + 1}`, text: p }));
}

// -- review -----------------------------------------------------------------------------------------
async function runReview() {
  const source = document.querySelector("input[name=source]:checked").value;
  const model = document.getElementById("model").value;
  const maxReviews = parseInt(document.getElementById("max-reviews").value, 10) || 50;
  const taxonomy = document.getElementById("taxonomy").value;
  // Only a custom taxonomy is sent: without one the request is what it always was (and cached).
  const along = taxonomy && taxonomy !== "default" ? { taxonomy } : {};
  const button = document.getElementById("review-btn");
  button.disabled = true;
  showStatus("");
  const slow = model.startsWith("llm") ? " An LLM writes each dimension: this can take minutes." : "";
  try {
    let review;
    if (source === "store") {
      const company = document.getElementById("company").value;
      if (!company) throw new ApiError("Pick a company first (the store has none yet? upload or paste reviews).");
      const name = state.companies.find(c => c.key === company)?.company || company;
      progress.start(`Reviewing ${name} with ${model}\u2026${slow}`);
      const query = new URLSearchParams({ model, max_reviews: maxReviews, ...along });
      review = await (await api(`/v1/companies/${encodeURIComponent(company)}/review?${query}`)).json();
      state.company = company; state.local = null; state.jobResults = null;
    } else if (source === "upload" && document.getElementById("upload-company").value === ALL_COMPANIES) {
      if (along.taxonomy) throw new ApiError(`Background jobs review the default dimensions only: pick one company to review it along ${taxonomy}.`);
      await runUploadJob(model, maxReviews, slow);
      return;
    } else {
      const company = source === "upload" ? document.getElementById("upload-company").value
        : document.getElementById("paste-company").value.trim();
      if (!company) throw new ApiError(source === "upload" ? "Choose a file to upload first." : "Give the company's name.");
      let reviews = source === "upload" ? (state.uploaded || []).filter(r => r.company === company) : pastedReviews();
      reviews = reviews.map(r => Object.assign({}, r, { company }));
      progress.start(`Reviewing ${company} from ${plural(reviews.length, "review", "reviews")} with ${model}\u2026${slow}`);
      review = await (await postJSON("/v1/reviews", { company, reviews, model, max_reviews: maxReviews, ...along })).json();
      state.company = company; state.local = reviews; state.jobResults = null;
    }
    const seconds = progress.stop();
    document.getElementById("job-pick").hidden = true;
    renderReview(review);
    document.body.dataset.lastReviewSeconds = seconds.toFixed(2);
  } catch (error) { progress.stop(); showStatus(error.message); } finally { button.disabled = false; }
}

async function runUploadJob(model, maxReviews, slow) {
  const byCompany = new Map();
  for (const r of state.uploaded || []) {
    if (!byCompany.has(r.company)) byCompany.set(r.company, []);
    byCompany.get(r.company).push(r);
  }
  const inputs = [...byCompany].map(([company, reviews]) => ({ company, reviews }));
  progress.start(`Submitting ${plural(inputs.length, "company", "companies")}\u2026${slow}`, inputs.length);
  const job = await (await postJSON("/v1/jobs", { inputs, model, max_reviews: maxReviews })).json();
  let status;
  for (;;) {
    status = await (await api(job.url)).json();
    const word = status.status === "queued" ? "Queued" : "Reviewed";
    progress.update(`${word}: ${status.n_done} of ${status.n_total} companies (${Math.round(100 * status.n_done / Math.max(1, status.n_total))}%)\u2026`,
      status.n_done, status.n_total);
    if (status.status === "done" || status.status === "failed") break;
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  const seconds = progress.stop();
  if (status.status === "failed") throw new ApiError(`The job failed: ${status.error || "no reason given"}.`);
  state.jobResults = status.results;
  const failed = status.results.filter(r => r.error);
  const select = document.getElementById("job-company");
  select.replaceChildren(...status.results.map((r, i) => el("option", { value: String(i) }, r.error ? `${r.company} (failed)` : r.company)));
  document.getElementById("job-pick").hidden = false;
  const first = status.results.findIndex(r => !r.error);
  if (first < 0) throw new ApiError(`No company could be reviewed: ${failed.map(r => `${r.company}: ${r.error}`).join("; ")}`);
  select.value = String(first);
  showJobResult();
  document.body.dataset.lastReviewSeconds = seconds.toFixed(2);
  showStatus(`Reviewed ${plural(status.results.length - failed.length, "company", "companies")} in ${Math.round(seconds)} s` +
    (failed.length ? `; failed: ${failed.map(r => `${r.company} (${r.error})`).join(", ")}` : "") + ". Pick one above the verdict.", failed.length ? "error" : "ok");
}

function showJobResult() {
  const result = state.jobResults && state.jobResults[Number(document.getElementById("job-company").value)];
  if (!result) return;
  if (result.error) { showStatus(`${result.company}: ${result.error}`); return; }
  state.company = result.company;
  state.local = (state.uploaded || []).filter(r => r.company === result.company);
  renderReview(result.review);
}

// Declared by the review itself (model.experimental), from the LLM's parameter count.
function isWiringModel(model) {
  return !!model && model.experimental === "wiring model";
}

function modelNotes(model) {
  const notes = [];
  if (isWiringModel(model)) {
    const size = model.parameters ? ` (${Math.round(model.parameters / 1e6)}M parameters)` : "";
    notes.push(`Experimental: wiring model. The paragraphs and verdict were written by ${model.name}${size}, a model too `
      + "small to write faithfully: they may misstate or invent what reviewers said. The quotes are verbatim; read the "
      + "texts as a test of the wiring, not as a review.");
  }
  if (model && model.ratings_from) {
    notes.push(`Ratings and intervals are the ${model.ratings_from} model's; the LLM wrote only the text.`);
  }
  const known = ["name", "version", "experimental", "parameters", "ratings_from"];
  for (const [name, value] of Object.entries(model || {})) {  // any other note the server adds about the model
    if (!known.includes(name) && typeof value === "string" && value) notes.push(value);
  }
  return notes;
}

function setNote(id, notes) {
  const box = document.getElementById(id);
  box.replaceChildren(...notes.map(n => el("p", {}, n)));
  box.hidden = !notes.length;
}

function renderReview(review) {
  state.review = review;
  document.getElementById("result").hidden = false;
  document.getElementById("result-company").textContent = review.company;
  document.getElementById("result-meta").textContent =
    `${plural(review.n_reviews_used, "review", "reviews")} read \u00b7 model ${review.model.name} ${review.model.version}` +
    (review.model.taxonomy ? ` \u00b7 dimensions: ${review.model.taxonomy.name} ${review.model.taxonomy.version}` : "");
  setNote("model-note", modelNotes(review.model));
  const o = review.overall;
  const score = document.getElementById("overall-score");
  score.className = "score-big " + band(o.rating);
  score.replaceChildren(el("span", { class: "score-value" }, fmt1(o.rating)), el("span", { class: "score-of" }, o.rating === null ? "" : "/ 5"),
    stars(o.rating));
  document.getElementById("result-overall").textContent = o.rating === null ? "Overall: not rated (too little evidence)"
    : `Overall ${fmt1(o.rating)} / 5 \u00b7 90% interval ${fmtInterval(o.interval)} \u00b7 from ${plural(review.n_reviews_used, "review", "reviews")}`;
  document.getElementById("result-verdict").textContent = o.verdict;
  document.getElementById("chart").replaceChildren(ratingChart([{ name: review.company, review }], chartWidth("chart")));
  document.getElementById("dimensions").replaceChildren(...Object.entries(review.dimensions).map(([id, d]) => dimensionCard(id, d, review.n_reviews_used)));
  document.getElementById("answer").replaceChildren();
}

function stars(rating) {
  const box = el("span", { class: "stars", "aria-hidden": "true" });
  if (rating === null || rating === undefined) return box;
  const full = Math.round(rating);
  box.textContent = "\u2605".repeat(full) + "\u2606".repeat(5 - full);
  return box;
}

// A 1-5 track with the interval as a band and the rating as a dot (CSSOM positions: CSP-safe).
function intervalTrack(d) {
  const track = el("div", { class: "track" });
  const scale = el("div", { class: "track-scale", "aria-hidden": "true" }, el("span", {}, "1"), track, el("span", {}, "5"));
  if (d.rating === null) return scale;
  const pos = v => `${Math.max(0, Math.min(100, (v - 1) / 4 * 100))}%`;
  if (d.interval) {
    const span = el("span", { class: "track-band" });
    span.style.left = pos(d.interval[0]);
    span.style.width = `calc(${pos(d.interval[1])} - ${pos(d.interval[0])})`;
    track.append(span);
  }
  const dot = el("span", { class: "track-dot" });
  dot.style.left = pos(d.rating);
  track.append(dot);
  return scale;
}

const THIN_EVIDENCE = 3;

function dimensionCard(id, d, nReviews) {
  const kind = band(d.rating);
  const list = (items, cls) => el("ul", { class: cls }, ...items.map(t => el("li", {}, t)));
  const how = [el("span", {}, `${d.mentions} of ${nReviews} reviews mention it`)];
  if (d.rating !== null) how.push(el("span", {}, `90% interval ${fmtInterval(d.interval)}`));
  if (d.mentions < THIN_EVIDENCE) how.push(el("span", { class: "tag thin" }, "thin evidence"));
  const card = el("article", { class: `dimension ${kind}`, "data-dimension": id },
    el("header", { class: "card-head" },
      el("h3", {}, d.label),
      el("div", { class: `badge ${kind}`, title: BAND_WORDS[kind] },
        el("span", { class: "badge-value" }, d.rating === null ? "not rated" : fmt1(d.rating)),
        d.rating === null ? "" : el("span", { class: "badge-of" }, "/5"))),
    intervalTrack(d),
    el("p", { class: "how meta" }, ...how.flatMap((part, i) => i ? [" \u00b7 ", part] : [part])),
    el("p", { class: "summary" }, d.summary),
    el("div", { class: "cols" },
      el("div", { class: "pros" }, el("h4", {}, "Pros"), d.pros.length ? list(d.pros, "plus") : el("p", { class: "meta" }, "none recurring")),
      el("div", { class: "cons" }, el("h4", {}, "Cons"), d.cons.length ? list(d.cons, "minus") : el("p", { class: "meta" }, "none recurring"))));
  if (d.evidence.length) {
    card.append(el("h4", { class: "quotes-title" }, `What reviewers said (${d.evidence.length})`),
      ...d.evidence.map(e => quoteBlock(e.quote, e.review_id, e.sentiment)));
  }
  const g = d.generation;
  if (g) {
    const text = g.source === "llm" ? `Text written by the LLM; the grounding check kept ${g.kept.length} and dropped ${g.dropped.length} of its sentences.`
      : g.source === "fallback" ? `The LLM's text was not used (${g.error || "it failed the grounding check"}); this is the embedded writer's text.`
        : "Text written by the embedded writer.";
    card.append(el("p", { class: "provenance meta" }, text));
  }
  return card;
}

const SENTIMENT = { positive: ["+", "positive"], negative: ["\u2212", "negative"], neutral: ["\u00b7", "neutral"] };

function quoteBlock(quote, reviewId, sentiment, label) {
  const [sign, word] = SENTIMENT[sentiment] || SENTIMENT.neutral;
  const details = el("details", { class: `quote ${sentiment}`, "data-review-id": reviewId },
    el("summary", {},
      el("span", { class: `sentiment ${sentiment}` }, `${sign} ${word}`), " ",
      label ? el("span", { class: "quote-n" }, label + " ") : "",
      el("q", {}, quote),
      el("span", { class: "meta" }, ` \u2014 review ${reviewId}`)));
  details.addEventListener("toggle", () => { if (details.open && details.childElementCount === 1) expandReview(details, reviewId, quote); });
  return details;
}

async function expandReview(details, reviewId, quote) {
  const box = el("div", { class: "source-review" }, "loading the review\u2026");
  details.append(box);
  try {
    let review = state.local ? state.local.find(r => String(r.review_id) === String(reviewId)) : null;
    if (!review && !state.local) {
      review = await (await api(`/v1/companies/${encodeURIComponent(state.company)}/reviews/${encodeURIComponent(reviewId)}`)).json();
    }
    if (!review) throw new ApiError("The source review is not available.");
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

// -- chart ------------------------------------------------------------------------------------------
// Drawn for the width it gets (redrawn on resize) rather than scaled, so text stays 12-13 px on a
// phone. Every company has its own line inside a dimension's row, with its value (or "not rated")
// in a column of its own: no label ever shares a line with another company's.
function chartWidth(id) {
  const box = document.getElementById(id);
  return Math.max(280, Math.floor(box.clientWidth || box.parentElement.clientWidth || 720));
}

function ratingChart(series, width) {
  const first = series[0].review;
  const rows = [["overall", "Overall"], ...Object.entries(first.dimensions).map(([id, d]) => [id, d.label])];
  const narrow = width < 560;
  const font = narrow ? 12 : 13;
  const longest = Math.max(...rows.map(([, label]) => label.length));
  const labelW = narrow ? 0 : Math.min(230, Math.max(120, Math.round(longest * font * 0.56) + 16));
  const valueW = 52;
  const plotL = labelW + 10, plotR = width - valueW - 14;
  const lineH = series.length === 1 ? 22 : 17;
  const labelH = narrow ? 18 : 0;
  const rowPad = series.length === 1 ? 4 : 8;
  const rowH = labelH + series.length * lineH + rowPad;
  const top = 30, bottomAxis = 44;
  const height = top + rows.length * rowH + bottomAxis;
  const x = v => plotL + (v - 1) / 4 * (plotR - plotL);
  const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", class: "rating-chart",
    "aria-label": `Ratings with 90% intervals for ${series.map(s => s.name).join(", ")}` });
  chart.style.fontSize = `${font}px`;
  rows.forEach((_, row) => {
    if (row % 2 === 0) chart.append(svg("rect", { x: 0, y: top + row * rowH, width, height: rowH, class: "band" }));
  });
  for (let v = 1; v <= 5; v += 0.5) {
    const whole = Number.isInteger(v);
    chart.append(svg("line", { x1: x(v), x2: x(v), y1: top - 4, y2: top + rows.length * rowH, class: whole ? "grid" : "grid minor" }));
    if (whole) {
      chart.append(svg("text", { x: x(v), y: top - 10, "text-anchor": "middle", class: "tick" }, String(v)));
      chart.append(svg("text", { x: x(v), y: top + rows.length * rowH + 16, "text-anchor": "middle", class: "tick" }, String(v)));
    }
  }
  chart.append(svg("text", { x: (plotL + plotR) / 2, y: height - 8, "text-anchor": "middle", class: "axis-title" },
    "Rating (1 = poor, 5 = excellent)"));
  if (!narrow) chart.append(svg("text", { x: 4, y: top - 10, class: "axis-title" }, "Dimension"));
  chart.append(svg("text", { x: width - 6, y: top - 10, "text-anchor": "end", class: "axis-title" }, "Rating"));
  rows.forEach(([id, label], row) => {
    const y0 = top + row * rowH;
    const dotsTop = y0 + labelH + rowPad / 2;
    const labelY = narrow ? y0 + 13 : dotsTop + series.length * lineH / 2 + font * 0.35;
    chart.append(svg("text", { x: narrow ? 4 : 4, y: labelY, class: id === "overall" ? "row-label overall" : "row-label" }, label));
    if (id === "overall") chart.append(svg("line", { x1: 0, x2: width, y1: y0 + rowH, y2: y0 + rowH, class: "separator" }));
    series.forEach((s, i) => {
      const entry = id === "overall" ? s.review.overall : s.review.dimensions[id];
      const y = dotsTop + i * lineH + lineH / 2, color = COLORS[i % COLORS.length];
      const name = series.length > 1 ? `${s.name}: ` : "";
      if (!entry || entry.rating === null || entry.rating === undefined) {
        chart.append(svg("circle", { cx: x(1), cy: y, r: 4, fill: "none", stroke: color, "stroke-width": 1.5, class: "unrated-mark" }));
        chart.append(svg("text", { x: x(1) + 9, y: y + font * 0.35, class: "unrated", fill: color }, `${series.length > 1 ? s.name + " \u2014 " : ""}not rated`));
        chart.append(svg("text", { x: width - 6, y: y + font * 0.35, "text-anchor": "end", class: "value unrated" }, "\u2013"));
        return;
      }
      if (entry.interval) chart.append(svg("line", { x1: x(entry.interval[0]), x2: x(entry.interval[1]), y1: y, y2: y,
        stroke: color, "stroke-width": series.length === 1 ? 8 : 6, "stroke-opacity": 0.3, "stroke-linecap": "round", class: "interval" }));
      const dot = svg("circle", { cx: x(entry.rating), cy: y, r: series.length === 1 ? 6 : 5, fill: color, class: "rating" });
      dot.append(svg("title", {}, `${name}${label} ${fmt1(entry.rating)} (90% interval ${fmtInterval(entry.interval)})`));
      chart.append(dot);
      chart.append(svg("text", { x: width - 6, y: y + font * 0.35, "text-anchor": "end", class: "value", fill: series.length > 1 ? color : "currentColor" },
        fmt1(entry.rating)));
    });
  });
  return chart;
}

// -- compare ----------------------------------------------------------------------------------------
async function runCompare() {
  const chosen = [...document.querySelectorAll("input[name=compare]:checked")].map(box => box.value);
  if (chosen.length < 2 || chosen.length > 4) { showStatus(`Pick between 2 and 4 companies to compare (${chosen.length} picked).`); return; }
  const model = document.getElementById("compare-model").value;
  const taxonomy = document.getElementById("compare-taxonomy").value;
  const query = new URLSearchParams({ model, ...(taxonomy && taxonomy !== "default" ? { taxonomy } : {}) });
  const button = document.getElementById("compare-btn");
  button.disabled = true;
  showStatus("");
  let done = 0;
  progress.start(`Reviewing ${chosen.length} companies with ${model}: 0 of ${chosen.length} done (0%)\u2026`, chosen.length);
  try {
    const reviews = await Promise.all(chosen.map(c =>
      api(`/v1/companies/${encodeURIComponent(c)}/review?${query}`).then(r => r.json()).then(review => {
        done += 1;
        progress.update(`Reviewing ${chosen.length} companies with ${model}: ${done} of ${chosen.length} done (${Math.round(100 * done / chosen.length)}%)\u2026`, done, chosen.length);
        return review;
      })));
    progress.stop();
    const series = reviews.map((review, i) => ({ name: state.companies.find(c => c.key === chosen[i])?.company || chosen[i], review }));
    state.compare = series;
    document.getElementById("compare-result").hidden = false;
    setNote("compare-note", [...new Set(reviews.flatMap(r => modelNotes(r.model)))]);
    document.getElementById("compare-legend").replaceChildren(...series.map((s, i) => {
      const swatch = el("span", { class: "legend-swatch" });
      swatch.style.background = COLORS[i];
      return el("span", { class: "legend-item" }, swatch, el("span", {}, s.name),
        el("span", { class: "meta" }, ` ${plural(s.review.n_reviews_used, "review", "reviews")}`));
    }));
    document.getElementById("compare-chart").replaceChildren(ratingChart(series, chartWidth("compare-chart")));
    const table = document.getElementById("compare-table");
    const head = el("tr", {}, el("th", { scope: "col" }, "Dimension"), ...series.map((s, i) => {
      const swatch = el("span", { class: "legend-swatch" });
      swatch.style.background = COLORS[i];
      return el("th", { scope: "col" }, swatch, s.name);
    }));
    const cell = e => !e || e.rating === null ? el("td", { class: "unrated" }, "not rated")
      : el("td", {}, el("strong", {}, fmt1(e.rating)), el("span", { class: "meta" }, ` ${fmtInterval(e.interval)}`),
        e.mentions !== undefined ? el("div", { class: "meta" }, plural(e.mentions, "mention", "mentions")) : "");
    const rows = [el("tr", { class: "overall" }, el("th", { scope: "row" }, "Overall"), ...series.map(s => cell(s.review.overall)))];
    for (const [id, d] of Object.entries(series[0].review.dimensions)) {
      rows.push(el("tr", { "data-dimension": id }, el("th", { scope: "row" }, d.label), ...series.map(s => cell(s.review.dimensions[id]))));
    }
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  } catch (error) { progress.stop(); showStatus(error.message); } finally { button.disabled = false; }
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
  } catch (error) { box.replaceChildren(el("p", { class: "error-text" }, error.message)); }
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
