/* The live board: renders the sitting from JSON and re-renders whenever the server says
 * something changed (Server-Sent Events).  All text goes in through textContent, never
 * as HTML, so a name with quotes or angle brackets is shown, never run. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("board-config").textContent);
  const rowsEl = document.getElementById("rows");
  const countsEl = document.getElementById("counts");
  const filterEl = document.getElementById("filter");
  let data = null, pending = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c.nodeType ? c : String(c));
    return e;
  }

  function actionForm(entryId, action, label, cls) {
    const f = el("form", {method: "post", action: cfg.urls.entry + entryId + "/" + action, class: "inline"});
    f.append(el("input", {type: "hidden", name: "csrf_token", value: cfg.csrf}),
             el("input", {type: "hidden", name: "back", value: location.pathname}),
             el("button", {class: cls || "", type: "submit"}, label));
    return f;
  }

  function actions(r) {
    const box = el("div", {class: "actions"});
    const L = cfg.labels;
    if (cfg.can.admission) {
      if (r.state === "checked_in") {
        const f = document.getElementById("t-admit").content.firstElementChild.cloneNode(true);
        f.action = cfg.urls.entry + r.id + "/admit";
        f.querySelector("[name=csrf_token]").value = cfg.csrf;
        f.querySelector(".check-id").hidden = !r.identity_to_check;
        box.append(f);
      }
      if (r.state === "admitted") box.append(actionForm(r.id, "call-in", L.callIn, "primary"));
      if (r.state === "in_interview") box.append(actionForm(r.id, "finish", L.finish));
    }
    if (cfg.can.violation && ["checked_in", "admitted", "in_interview", "interviewed"].includes(r.state)) {
      box.append(el("a", {class: "button danger", href: cfg.urls.entry + r.id + "/violation"}, L.violation));
    }
    if (cfg.can.return && r.cell && !r.cell.released && ["interviewed", "decided", "removed"].includes(r.state)
        && (!r.return || r.return === "failed")) {
      box.append(actionForm(r.id, "return-devices", L.return));
    }
    if (cfg.can.print) for (const a of r.acts) box.append(el("a", {class: "button", href: cfg.urls.act + a.id}, L.act + " " + a.number));
    if (cfg.can.file) box.append(el("a", {class: "button", href: cfg.urls.entry + r.id + "/file"}, L.file));
    if (cfg.can.correct) box.append(el("a", {class: "button correct", href: cfg.urls.entry + r.id + "/corrections"}, L.correct));
    return box;
  }

  function render() {
    if (!data) return;
    const L = cfg.labels, T = cfg.texts;
    countsEl.textContent = "";
    countsEl.append(el("span", {class: "count total"}, L.total + ": " + data.total));
    const order = ["expected", "checked_in", "admitted", "in_interview", "interviewed", "decided",
                   "removed", "absent_valid", "absent_invalid"];
    for (const state of order) {
      const n = data.counts[state];
      countsEl.append(el("span", {class: "count state-" + state, "data-state": state}, T.states[state] + ": ", el("b", {}, n)));
    }
    const q = (filterEl.value || "").trim().toLocaleLowerCase();
    const frag = document.createDocumentFragment();
    for (const r of data.rows) {
      if (q && !r.name.toLocaleLowerCase().includes(q)) continue;
      const who = el("td", {}, el("div", {class: "name"}, r.name), el("div", {class: "sub"}, r.iin + (r.organization ? " · " + r.organization : "")));
      const state = el("td", {}, el("span", {class: "badge state-" + r.state}, T.states[r.state]));
      if (r.corrections.length) {
        state.append(" ", el("span", {class: "badge corrected", title: r.corrections.map(k => cfg.correctionKinds[k]).join("; ")}, L.corrected));
        state.append(el("div", {class: "sub corrections"}, r.corrections.map(k => cfg.correctionKinds[k]).join("; ")));
      }
      if (r.absence && r.absence.deadline) state.append(el("div", {class: "sub"}, L.deadline + " " + r.absence.deadline_shown));
      const ident = el("td", {}, r.identified_by ? T.identified_by[r.identified_by] : "");
      if (r.identity_to_check) ident.append(" ", el("span", {class: "badge warn"}, L.checkId));
      const cell = el("td", {}, r.cell ? "№" + r.cell.number : "");
      if (r.cell && !r.cell.released && r.cell.door) {
        cell.append(el("div", {class: "sub door-" + r.cell.door, "data-door": r.cell.door}, T.doors[r.cell.door]));
      }
      if (r.return) cell.append(el("div", {class: "sub return-" + r.return}, L.returnStatus[r.return]));
      const t = r.times, times = [];
      if (t.checked_in_at) times.push(L.checkedIn + " " + t.checked_in_at);
      if (t.admitted_at) times.push(L.admitted + " " + t.admitted_at);
      if (t.interview_started_at) times.push(L.interview + " " + t.interview_started_at);
      if (t.interviewed_at) times.push(L.finished + " " + t.interviewed_at);
      if (t.removed_at) times.push(L.removed + " " + t.removed_at);
      frag.append(el("tr", {"data-entry": r.id, "data-state": r.state}, who, state,
                     el("td", {"data-language": r.language || ""}, r.language ? T.languages[r.language] : ""), ident, cell,
                     el("td", {class: "sub"}, times.join(" · ")), el("td", {class: "no-print"}, actions(r))));
    }
    // What staff are typing survives a re-render: keep it by row and field, put it back.
    const typed = new Map();
    let focused = null;
    rowsEl.querySelectorAll("tr[data-entry] input:not([type=hidden])").forEach(inp => {
      const key = inp.closest("tr").dataset.entry + "|" + inp.name;
      typed.set(key, inp.type === "checkbox" ? inp.checked : inp.value);
      if (inp === document.activeElement) focused = key;
    });
    rowsEl.textContent = "";
    rowsEl.append(frag);
    rowsEl.querySelectorAll("tr[data-entry] input:not([type=hidden])").forEach(inp => {
      const key = inp.closest("tr").dataset.entry + "|" + inp.name;
      if (!typed.has(key)) return;
      if (inp.type === "checkbox") inp.checked = typed.get(key); else inp.value = typed.get(key);
      if (key === focused) inp.focus();
    });
    document.body.dataset.version = data.version;
  }

  async function refresh() {
    pending = null;
    try {
      const since = data ? "?since=" + encodeURIComponent(data.version) : "";
      const res = await fetch(cfg.urls.board + since, {headers: {"Accept": "application/json"}, credentials: "same-origin"});
      if (res.status === 401) { location.reload(); return; }
      const got = await res.json();
      if (got.full || !data) { data = got; render(); } else apply(got);
    } catch (e) { /* the next event or reconnect retries */ }
  }
  function soon() { if (!pending) pending = setTimeout(refresh, 50); }

  // Only the rows that changed since the version we hold.
  function apply(diff) {
    const byId = new Map(diff.changed.map(r => [r.id, r]));
    data = Object.assign({}, data, {version: diff.version, counts: diff.counts, total: diff.total,
                                    sitting: diff.sitting, rows: data.rows.map(r => byId.get(r.id) || r)});
    render();
  }

  // The server pushes the changed rows; a board holding another version fetches instead.
  function pushed(event) {
    const diff = JSON.parse(event.data);
    if (data && !pending && diff.from === data.version) {
      apply(diff);
      document.body.dataset.pushed = String(Number(document.body.dataset.pushed || 0) + 1);
    } else soon();
  }

  function connect() {
    const es = new EventSource(cfg.urls.events);
    const dot = document.getElementById("live-dot"), text = document.getElementById("live-text");
    es.addEventListener("change", soon);
    es.addEventListener("board", pushed);
    es.onopen = () => { dot.className = "dot on"; text.textContent = cfg.labels.live; soon(); };
    es.onerror = () => { dot.className = "dot off"; text.textContent = cfg.labels.offline; };
  }
  filterEl.addEventListener("input", render);
  refresh();
  connect();
})();
