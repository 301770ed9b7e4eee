// qa page: every text from the articles or the model goes in through textContent, never HTML.
"use strict";
const $ = (id) => document.getElementById(id);
let apiKey = sessionStorage.getItem("qa-key") || "";
// the conversation lives in this tab only: earlier questions, answers and the lines they cited
const MAX_TURNS = 8;
let conversation = JSON.parse(sessionStorage.getItem("qa-conversation") || "[]");

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (apiKey) headers["Authorization"] = "Bearer " + apiKey;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    const key = window.prompt("This server needs an API key:");
    if (key) {
      apiKey = key;
      sessionStorage.setItem("qa-key", key);
      return api(path, options);
    }
  }
  return response;
}

function status(text) { $("status").textContent = text; }

async function ask(question) {
  const box = $("answer");
  box.hidden = false;
  box.classList.remove("abstained");
  $("answer-text").textContent = "";
  $("chips").replaceChildren();
  $("abstain-reason").hidden = true;
  $("stale-note").hidden = true;
  $("closest").hidden = true;
  $("searched").hidden = true;
  status("Thinking…");
  let history = conversation.slice(-MAX_TURNS);
  // the server refuses large bodies: the oldest turns go first
  while (history.length && JSON.stringify(history).length + question.length > 12000) {
    history = history.slice(1);
  }
  const response = await api("/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ question: question, stream: true, history: history }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    status("Error: " + (body.error || response.status));
    box.hidden = true;
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      handleEvent(block);
    }
  }
}

function handleEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return;
  const payload = JSON.parse(data.join("\n"));
  if (name === "token") $("answer-text").textContent += payload.text;
  else if (name === "answer") showAnswer(payload);
  else if (name === "error") status("Error: " + payload.error);
  else if (name === "done") { if ($("status").textContent === "Thinking…") status(""); }
}

function remember(a) {
  conversation.push({
    question: a.question,
    // two answers joined ("24 and 31") name no one thing for a later "he" or "it"
    answer: a.abstained || (a.parts && a.parts.length) ? "" : a.answer,
    abstained: a.abstained,
    citations: a.citations.map((c) => (
      { file: c.file, start_line: c.start_line, end_line: c.end_line })),
  });
  conversation = conversation.slice(-MAX_TURNS);
  sessionStorage.setItem("qa-conversation", JSON.stringify(conversation));
  showTurns();
}

function showTurns() {
  const list = $("turns");
  list.replaceChildren();
  for (const t of conversation.slice(0, -1)) {
    list.append(el("li", `${t.question} → ${t.abstained ? "(no answer)" : t.answer}`));
  }
  $("conversation").hidden = conversation.length === 0;
}

function newConversation() {
  conversation = [];
  sessionStorage.removeItem("qa-conversation");
  showTurns();
  $("answer").hidden = true;
  status("New conversation: the next question starts fresh.");
  $("question").focus();
}

function showAnswer(a) {
  remember(a);
  if (a.parts && a.parts.length) {
    $("searched").textContent = "↳ asked in two parts: " + a.parts.join(" · ");
    $("searched").hidden = false;
  } else if (a.search_question) {
    $("searched").textContent = "↳ searching: " + a.search_question;
    $("searched").hidden = false;
  }
  const text = $("answer-text");
  text.textContent = a.answer;
  $("stale-note").hidden = !a.stale;
  if (a.abstained) {
    $("answer").classList.add("abstained");
    $("abstain-reason").textContent = "Why: " + a.abstain_reason + ".";
    $("abstain-reason").hidden = false;
    const list = $("closest-list");
    list.replaceChildren();
    for (const p of a.retrieved.slice(0, 3)) {
      const li = el("li");
      const b = el("button", `${p.file}:${p.start_line}-${p.end_line}`, "linklike");
      b.type = "button";
      b.addEventListener("click", () => openSource(p.file, p.start_line, p.end_line));
      li.append(b);
      list.append(li);
    }
    $("closest").hidden = false;
  }
  a.citations.forEach((c, i) => {
    text.append(" ", el("span", `[${i + 1}]`, "marker"));
    const li = el("li");
    const chip = el("button", `[${i + 1}] ${c.file}:${c.start_line}-${c.end_line}`, "chip");
    chip.type = "button";
    chip.title = c.quote;
    chip.addEventListener("click",
      () => openSource(c.file, c.start_line, c.end_line, c.start_char, c.end_char));
    li.append(chip);
    $("chips").append(li);
  });
  const rows = $("retrieved").querySelector("tbody");
  rows.replaceChildren();
  a.retrieved.forEach((p, i) => {
    const tr = el("tr");
    tr.append(el("td", String(i + 1)), el("td", `${p.file}:${p.start_line}-${p.end_line}`),
              el("td", p.score.toFixed(3)), el("td", p.lexical.toFixed(2)));
    rows.append(tr);
  });
  const t = a.timings_ms;
  $("timings").textContent = `retrieve ${t.retrieve} ms · queue ${t.queue} ms · ` +
    `generate ${t.generate} ms · total ${t.total} ms · ${a.model}`;
  status("");
}

// a line's text, with the quoted part (characters from..to) marked when the quote is a part
function lineText(text, from, to) {
  const span = el("span", "", "text");
  if (from == null || to == null) { span.textContent = text; return span; }
  span.append(text.slice(0, from), el("mark", text.slice(from, to), "quote"), text.slice(to));
  return span;
}

async function openSource(file, start, end, from = null, to = null) {
  const response = await api("/sources/" + encodeURIComponent(file));
  if (!response.ok) { status("Cannot open " + file); return; }
  const src = await response.json();
  $("source-title").textContent = src.title;
  $("source-file").textContent = `${src.file} · ${src.total_lines} lines`;
  const list = $("source-lines");
  list.replaceChildren();
  let first = null;
  for (const line of src.lines) {
    const li = el("li");
    li.id = "line-" + line.number;
    const part = line.number === start ? [from, to] : [null, null];
    li.append(el("span", String(line.number), "no"), lineText(line.text, ...part));
    if (start && line.number >= start && line.number <= end) {
      li.classList.add("cited");
      first = first || li;
    }
    list.append(li);
  }
  $("source-pane").hidden = false;
  document.querySelector("main").classList.add("with-source");
  if (first) first.scrollIntoView({ block: "center" });
  $("close-source").focus({ preventScroll: true });
}

async function loadArticles() {
  const response = await api("/articles");
  if (!response.ok) return;
  const list = $("articles");
  list.replaceChildren();
  for (const a of await response.json()) {
    const li = el("li");
    const b = el("button", a.title, "linklike");
    b.type = "button";
    b.addEventListener("click", () => openSource(a.file));
    li.append(b, el("span", ` · ${a.file} · ${a.lines} lines`, "muted"));
    list.append(li);
  }
}

$("ask-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = $("question").value.trim();
  if (q) ask(q).catch((err) => status("Error: " + err.message));
});
$("new-conversation").addEventListener("click", newConversation);
$("show-details").addEventListener("change", (e) => { $("details").hidden = !e.target.checked; });
$("close-source").addEventListener("click", () => {
  $("source-pane").hidden = true;
  document.querySelector("main").classList.remove("with-source");
});
showTurns();
loadArticles();
