/* The kiosk page: one screen at a time, driven by the kiosk JSON API.
 *
 * Nothing about the person is kept after a reset: the session token, the name, the typed
 * digits and a pending scan live only in `state`, which reset() replaces.  Scanners that
 * act as keyboards are recognised by the speed of their keystrokes (a burst ending in
 * Enter), on any screen, with no text box focused.
 *
 * A scan belongs to the person at the kiosk when it was read.  On the welcome screen it is
 * acknowledged at once ("card read - choose your language") and waits SCAN_HOLD seconds
 * for a language; the idle reset, a result screen and a page load discard it.  One idle
 * rule: IDLE seconds untouched and the kiosk is back at the welcome screen, except while
 * a cell is opening or open (the door decides then).
 */
(function () {
  "use strict";
  const body = document.body;
  const TOKEN = body.dataset.token;
  const IDLE_MS = Number(body.dataset.idle) * 1000;
  const DOOR_WAIT_MS = Number(body.dataset.doorWait) * 1000;
  const SCAN_HOLD_MS = Number(body.dataset.scanHold) * 1000;
  const RESULT_SECONDS = Number(body.dataset.result);
  const VOLUME = Math.max(0, Math.min(100, Number(body.dataset.volume))) / 100;
  const FEEDBACK_MS = 900;       // how long the coloured frame of a feedback stays
  const SCAN_MEDIAN_GAP_MS = 50; // a scanner types faster than this between keys (median)
  const SCAN_END_MS = 300;       // a burst ends this long after an Enter (an MRZ has three)
  const SCAN_IDLE_MS = 1000;     // ...or this long after any key
  const HEALTH_MS = 5000;

  let strings = {kk: {}, ru: {}};
  let state = fresh();
  let idleTimer = null, pollTimer = null, holdTimer = null, feedbackTimer = null, toastTimer = null;
  let healthTimer = null, lastTouch = Date.now(), countdownTimer = null;

  function fresh() {
    return {lang: null, session: null, digits: "", pendingScan: null, cell: null,
            cellShownAt: 0, busy: false};
  }

  // -- texts ----------------------------------------------------------------------------
  function t(key, vars) {
    let s = (strings[state.lang || "ru"] || {})[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }
  function applyTexts() {
    document.documentElement.lang = state.lang || "kk";
    document.querySelectorAll("[data-t]").forEach(el => { el.textContent = t(el.dataset.t); });
  }
  function num(n) { return new Intl.NumberFormat(state.lang === "kk" ? "kk-KZ" : "ru-RU").format(n); }

  // -- screens --------------------------------------------------------------------------
  function show(name) {
    document.querySelectorAll(".screen").forEach(s => s.classList.toggle("active", s.dataset.screen === name));
    body.dataset.current = name;
    poke();
    clearInterval(countdownTimer);
    if (name === "done" || name === "existing") countDown(name);
  }
  // A person who got their cell walks away: the screen goes back for the next one by itself.
  function countDown(name) {
    const el = document.getElementById(name + "-countdown");
    let left = RESULT_SECONDS;
    const tick = () => {
      if (current() !== name) { clearInterval(countdownTimer); return; }
      if (left <= 0) { clearInterval(countdownTimer); reset(); return; }
      el.textContent = t("done.returning", {seconds: num(left)});
      left--;
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
  }
  function current() { return body.dataset.current || "welcome"; }

  // -- feedback: a sound and a coloured frame for each kind ------------------------------
  function feedback(kind) {
    body.dataset.feedback = kind;
    body.dataset.lastFeedback = kind;
    clearTimeout(feedbackTimer);
    feedbackTimer = setTimeout(() => { delete body.dataset.feedback; }, FEEDBACK_MS);
    const sound = document.getElementById("sound-" + kind);
    if (sound && VOLUME > 0) {
      sound.volume = VOLUME;
      sound.currentTime = 0;
      const played = sound.play();
      if (played && played.catch) played.catch(() => {});  // no audio device: the colour remains
    }
  }
  function toast(text) {
    const el = document.getElementById("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  function refusal(data) {
    document.getElementById("refusal-title").textContent = data.message || t("refusal." + data.reason + ".title");
    document.getElementById("refusal-hint").textContent = data.what_to_do || t("refusal." + data.reason + ".hint");
    document.querySelector("[data-screen=refusal]").classList.toggle("staff", !!data.needs_staff);
    body.dataset.reason = data.reason;
    endPassage();
    show("refusal");
    feedback(data.needs_staff ? "staff" : "refused");
  }

  function outOfOrder(code) {
    for (const lang of ["kk", "ru"]) {
      document.getElementById("ooo-title-" + lang).textContent = (strings[lang] || {})["out_of_order.title"] || "";
      document.getElementById("ooo-body-" + lang).textContent =
        ((strings[lang] || {})["out_of_order.body"] || "{code}").split("{code}").join(code);
    }
    body.dataset.code = code;
    if (current() !== "out_of_order") { show("out_of_order"); feedback("staff"); }
  }

  // -- API ------------------------------------------------------------------------------
  async function api(method, path, payload) {
    let res;
    try {
      res = await fetch("/api/v1/kiosk/" + path, {
        method, headers: {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
        body: payload ? JSON.stringify(payload) : undefined});
    } catch (e) { return {status: "error", reason: "out_of_order", code: "E-NET"}; }
    try { return await res.json(); }
    catch (e) { return {status: "error", reason: "out_of_order", code: "E-" + res.status}; }
  }
  function handleFailure(data) {
    if (data.status === "refused") { refusal(data); return true; }
    if (data.status !== "ok") {
      if (data.reason === "out_of_order" || data.reason === "unauthorized") outOfOrder(data.code || "E-AUTH");
      else refusal({reason: "unreadable_card", needs_staff: false});
      return true;
    }
    return false;
  }

  // -- flow -----------------------------------------------------------------------------
  function chooseLanguage(lang) {
    state.lang = lang;
    applyTexts();
    renderDigits();
    show("identify");
    const scan = takePendingScan();
    if (scan) identify(scan, "scanner");
  }

  async function identify(credential, source) {
    if (state.busy) return;
    state.busy = true;
    show("checking");
    const data = await api("POST", "identify", {credential, language: state.lang, source});
    state.busy = false;
    state.digits = "";
    renderDigits();
    if (handleFailure(data)) return;
    state.session = data.session;
    if (data.existing_cell) {
      document.getElementById("existing-number").textContent = num(data.existing_cell.number);
      document.getElementById("existing-body").textContent = t("existing.body", {number: num(data.existing_cell.number)});
      endPassage();
      show("existing");
      feedback("success");
      return;
    }
    document.getElementById("person-name").textContent = data.candidate.name;
    document.getElementById("person-iin").textContent = data.candidate.iin;
    document.getElementById("person-check").hidden = !data.candidate.identity_to_check;
    const list = document.getElementById("stage-list");
    list.textContent = "";
    for (const st of data.stages) {
      const li = document.createElement("li");
      const name = document.createElement("span"); name.textContent = st.name;
      const dur = document.createElement("span"); dur.className = "duration"; dur.textContent = st.duration;
      li.append(name, dur); list.append(li);
    }
    document.getElementById("stage-total").textContent = data.stages_total;
    show("person");
  }

  async function acknowledge(what, next) {
    const data = await api("POST", "acknowledge", {session: state.session, what});
    if (handleFailure(data)) return;
    next();
  }

  async function checkIn() {
    state.cellShownAt = Date.now();
    show("opening");
    const data = await api("POST", "checkin", {session: state.session, acknowledged_stages: true,
                                               acknowledged_rules: true});
    if (handleFailure(data)) return;
    state.cell = data.cell;
    follow();
  }

  async function follow() {
    clearTimeout(pollTimer);
    if (!state.session) return;
    const data = await api("GET", "checkin/" + encodeURIComponent(state.session));
    if (!state.session) return;
    if (data.status === "refused" || data.status !== "ok") { handleFailure(data); return; }
    if (data.phase === "lock_fault") { refusal({reason: "lock_fault", message: data.message, what_to_do: data.what_to_do, needs_staff: true}); return; }
    if (data.phase === "done") { showDone(data.cell.number); return; }
    if (data.phase === "put_devices") showCell(data.cell.number, data.has_sensor);
    pollTimer = setTimeout(follow, 400);
  }

  function showCell(number, hasSensor) {
    if (current() !== "cell") {
      state.cellShownAt = Date.now();
      document.getElementById("cell-title").textContent = t("cell.title", {number: num(number)});
      document.getElementById("cell-number").textContent = num(number);
      document.getElementById("cell-instructions").textContent = t("cell.instructions", {number: num(number)});
      document.getElementById("cell-closed").hidden = hasSensor;
      document.getElementById("cell-not-closed").hidden = true;
      show("cell");
    } else if (Date.now() - state.cellShownAt > DOOR_WAIT_MS) {
      document.getElementById("cell-not-closed").hidden = false;
    }
  }

  function showDone(number) {
    clearTimeout(pollTimer);
    document.getElementById("done-number").textContent = num(number);
    document.getElementById("done-body").textContent = t("done.body", {number: num(number)});
    endPassage();
    show("done");
    feedback("success");
  }

  // A result is on screen: the person's passage is over, and nothing read before it counts.
  function endPassage() {
    dropPendingScan();
    api("POST", "reset", {});  // the serial scanner's queue goes too
  }

  function reset() {
    clearTimeout(pollTimer);
    const payload = state.session ? {session: state.session} : {};
    api("POST", "reset", payload);
    dropPendingScan();
    state = fresh();
    renderDigits();
    applyTexts();
    show("welcome");
  }

  // -- a scan waiting for a language ------------------------------------------------------
  function holdScan(text) {
    state.pendingScan = {text, at: Date.now()};
    for (const lang of ["kk", "ru"]) {
      document.getElementById("scan-ack-" + lang).textContent = (strings[lang] || {})["welcome.scan_read"] || "";
    }
    document.getElementById("scan-ack").hidden = false;
    clearTimeout(holdTimer);
    holdTimer = setTimeout(dropPendingScan, SCAN_HOLD_MS);
  }
  function takePendingScan() {
    const scan = state.pendingScan;
    dropPendingScan();
    return scan && Date.now() - scan.at <= SCAN_HOLD_MS ? scan.text : null;
  }
  function dropPendingScan() {
    clearTimeout(holdTimer);
    state.pendingScan = null;
    document.getElementById("scan-ack").hidden = true;
  }

  // -- keypad ---------------------------------------------------------------------------
  function iinValid(s) {
    if (!/^\d{12}$/.test(s)) return false;
    const d = s.split("").map(Number);
    const c = Number(s[6]);
    if (c < 1 || c > 6) return false;
    const year = [1800, 1800, 1900, 1900, 2000, 2000][c - 1] + Number(s.slice(0, 2));
    const month = Number(s.slice(2, 4)), day = Number(s.slice(4, 6));
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
    for (const w of [[1,2,3,4,5,6,7,8,9,10,11], [3,4,5,6,7,8,9,10,11,1,2]]) {
      const k = w.reduce((acc, wi, i) => acc + wi * d[i], 0) % 11;
      if (k !== 10) return k === d[11];
    }
    return false;
  }
  function renderDigits() {
    const shown = state.digits.padEnd(12, "·");
    document.getElementById("iin-display").textContent = shown.slice(0, 6) + " " + shown.slice(6);
    const status = document.getElementById("iin-status");
    const full = state.digits.length === 12;
    const ok = full && iinValid(state.digits);
    status.textContent = full ? t(ok ? "identify.iin_ok" : "identify.iin_bad") : "";
    status.className = "status" + (full ? (ok ? " ok" : " bad") : "");
    document.getElementById("key-continue").disabled = !ok;
  }

  // -- scanners -------------------------------------------------------------------------
  let burst = "", lastKey = 0, gaps = [], burstTimer = null, burstSignalled = false;
  function onScan(text, signalled) {
    const screen = current();
    if (!signalled) feedback("read");
    if (screen === "identify") identify(text, "scanner");
    else if (screen === "welcome") holdScan(text);
    else if (["done", "existing", "refusal"].includes(screen)) { reset(); holdScan(text); }
    else toast(t("scan.busy"));  // someone is in the middle of their registration
  }
  function isScanSpeed() {
    const sorted = gaps.slice().sort((a, b) => a - b);
    return sorted.length >= 3 && sorted[Math.floor(sorted.length / 2)] < SCAN_MEDIAN_GAP_MS;
  }
  function finishBurst() {
    // The median, not every gap: a busy machine may stall one keystroke of a real scan.
    const sorted = gaps.slice().sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : Infinity;
    const text = burst, fast = gaps.length >= 6 && median < SCAN_MEDIAN_GAP_MS;
    const signalled = burstSignalled;
    burst = ""; gaps = []; burstSignalled = false;
    if (fast && text.replace(/\n/g, "").length >= 8) onScan(text.replace(/\n+$/, ""), signalled);
  }
  document.addEventListener("keydown", (e) => {
    poke();
    const now = performance.now();
    if (burst) gaps.push(now - lastKey);
    lastKey = now;
    if (e.key === "Enter") burst += "\n";
    else if (e.key.length === 1) burst += e.key;
    else return;
    e.preventDefault();
    // React as soon as the keystrokes are a scanner's (within a few of them), not when the
    // burst ends: the person sees and hears at once that the card was read.
    if (!burstSignalled && isScanSpeed()) { burstSignalled = true; feedback("read"); }
    clearTimeout(burstTimer);
    burstTimer = setTimeout(finishBurst, e.key === "Enter" ? SCAN_END_MS : SCAN_IDLE_MS);
  });

  // A page starts from "now" (asking without `after` answers only the latest number): it
  // is never handed a scan read before it loaded.
  // The camera's advice (a code seen but not read: closer, brighter, still) comes with the
  // same long poll: a changed hint answers it at once.
  async function pollSerialScanner(after, adviceSeq) {
    const data = await api("GET", after === null ? "scans"
      : "scans?wait=20&after=" + after + "&advice=" + adviceSeq);
    let last = after, seq = adviceSeq;
    if (data.status === "ok" && data.enabled) {
      for (const s of data.scans) onScan(s.credential);
      last = data.last;
      if (data.advice) { seq = data.advice.seq; showAdvice(data.advice.hint); }
    }
    setTimeout(() => pollSerialScanner(last, seq), data.status === "ok" ? 50 : 3000);
  }
  // Someone typing the IIN moves in the camera's view: no advice about a phone then.
  function showAdvice(hint) {
    const el = document.getElementById("camera-advice");
    if (!el) return;
    if (state.digits) hint = null;
    el.hidden = !hint;
    if (hint) { el.dataset.t = "camera." + hint; el.textContent = t(el.dataset.t); }
  }

  // -- idle and health ------------------------------------------------------------------
  function poke() {
    lastTouch = Date.now();
    clearTimeout(idleTimer);
    idleTimer = setTimeout(onIdle, IDLE_MS);
  }
  function onIdle() {
    const screen = current();
    if (screen === "out_of_order") return;
    if (screen === "welcome") { dropPendingScan(); return; }
    // While the cell is opening or open, the door decides, not the finger: wait longer.
    if ((screen === "opening" || screen === "cell") && Date.now() - state.cellShownAt < 2 * DOOR_WAIT_MS) {
      idleTimer = setTimeout(onIdle, IDLE_MS);
      return;
    }
    reset();
  }
  async function checkHealth() {
    clearTimeout(healthTimer);
    const screen = current();
    if (screen === "welcome" || screen === "out_of_order") {
      const data = await api("GET", "health");
      if (!(data.status === "ok" && data.ok)) outOfOrder(data.code || "E-NET");
      else if (screen === "out_of_order") show("welcome");
    }
    clearTimeout(healthTimer);  // one loop, however many calls were in flight
    healthTimer = setTimeout(checkHealth, HEALTH_MS);
  }
  // The monitor switched off and on (the compositor hides the page meanwhile, and the
  // browser throttles a hidden page's timers): catch up at once rather than show a stale
  // screen, or keep a person who walked away.
  function onVisible() {
    if (document.visibilityState !== "visible") return;
    if (Date.now() - lastTouch >= IDLE_MS) onIdle();
    checkHealth();
  }

  // -- wiring ---------------------------------------------------------------------------
  document.addEventListener("pointerdown", poke);
  document.addEventListener("visibilitychange", onVisible);
  // A touch kiosk: no long-press menu, no dragging a picture away.
  document.addEventListener("contextmenu", (e) => e.preventDefault());
  document.addEventListener("dragstart", (e) => e.preventDefault());
  document.querySelectorAll("[data-lang]").forEach(b => b.addEventListener("click", () => chooseLanguage(b.dataset.lang)));
  document.querySelectorAll("[data-action=restart]").forEach(b => b.addEventListener("click", reset));
  document.querySelectorAll("[data-digit]").forEach(b => b.addEventListener("click", () => {
    if (state.digits.length < 12) { state.digits += b.dataset.digit; renderDigits(); }
  }));
  document.getElementById("key-erase").addEventListener("click", () => { state.digits = state.digits.slice(0, -1); renderDigits(); });
  document.getElementById("key-continue").addEventListener("click", () => identify(state.digits, "keypad"));
  document.getElementById("person-yes").addEventListener("click", () => show("stages"));
  document.getElementById("stages-ack").addEventListener("click", () => acknowledge("stages", () => show("rules")));
  document.getElementById("rules-ack").addEventListener("click", () => acknowledge("rules", checkIn));
  document.getElementById("cell-closed").addEventListener("click", () => showDone(state.cell.number));

  Promise.all(["kk", "ru"].map(l => fetch("/strings/" + l + ".json").then(r => r.json()).then(j => { strings[l] = j; })))
    .catch(() => {})
    .finally(() => {
      applyTexts(); renderDigits(); show("welcome"); checkHealth();
      if (body.dataset.serialScanner === "yes") pollSerialScanner(null);
    });
})();
