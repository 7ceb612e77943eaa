// Sirocco dashboard: live updates and JSON checks. Hand-written, no
// dependencies. Pages work without it: it only follows the server's events
// over /ws and refetches server-rendered fragments, and checks JSON fields
// before a form is sent (the server checks them again).
(function () {
  "use strict";

  const main = document.querySelector("main[data-live-topics]");
  const status = document.querySelector("[data-testid=live-status]");
  // The header's count of approvals waiting for the person, on every page
  // of someone who may decide them.
  const hasWaiting = !!document.querySelector("a[data-waiting]");
  // Completions seen on the socket, by action id, to say who finished an
  // inbox row when it disappears.
  const done = new Map();

  // formatDuration renders seconds like templates.Duration does in Go.
  function formatDuration(s) {
    s = Math.max(0, Math.floor(s));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m";
    if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }

  function tickTimes() {
    const now = Date.now();
    for (const t of document.querySelectorAll("time[data-ago]")) {
      const at = Date.parse(t.getAttribute("datetime"));
      if (!isNaN(at)) t.textContent = formatDuration((now - at) / 1000);
    }
  }
  setInterval(tickTimes, 15000);

  // --- Times in the browser's time zone -------------------------------------
  // The server writes times in UTC ("2026-01-02 03:04:05 UTC"); here they
  // are shown in the reader's zone, with the UTC text on hover. Without
  // this script the UTC text stays, which is correct too.
  const two = function (n) { return String(n).padStart(2, "0"); };
  function zoneName(d) {
    try {
      const part = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(d).find(function (p) { return p.type === "timeZoneName"; });
      if (part) return part.value;
    } catch (e) {
      // An old browser: the offset below will do.
    }
    const off = -d.getTimezoneOffset();
    return "UTC" + (off < 0 ? "-" : "+") + two(Math.floor(Math.abs(off) / 60)) + ":" + two(Math.abs(off) % 60);
  }
  function localTimes(root) {
    for (const t of root.querySelectorAll("time[datetime]")) {
      if (t.hasAttribute("data-local") || t.hasAttribute("data-ago")) continue;
      const text = t.textContent.trim();
      if (!/ UTC$/.test(text)) continue; // a duration or a relative time: left alone
      const d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) continue;
      t.title = text;
      t.textContent = d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
        two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) + " " + zoneName(d);
      t.setAttribute("data-local", "");
    }
  }
  localTimes(document);

  // --- JSON fields -------------------------------------------------------
  // encodedLength is the size of v as the engine encodes it (Python's
  // json.dumps: ", " and ": " separators, non-ASCII as \uXXXX), which is
  // what its output limit counts. Numbers may differ by a character or
  // two (5.0 parses as 5): the server checks again.
  function encodedLength(v) {
    if (v === null || typeof v !== "object") {
      const s = JSON.stringify(v);
      let n = 0;
      for (let i = 0; i < s.length; i++) n += s.charCodeAt(i) < 128 ? 1 : 6;
      return n;
    }
    if (Array.isArray(v)) {
      let n = 2 + Math.max(0, v.length - 1) * 2;
      for (const x of v) n += encodedLength(x);
      return n;
    }
    const keys = Object.keys(v);
    let n = 2 + Math.max(0, keys.length - 1) * 2;
    for (const k of keys) n += encodedLength(k) + 2 + encodedLength(v[k]);
    return n;
  }

  function checkJSON(area) {
    const text = area.value.trim();
    const field = area.closest(".field");
    const asText = field && field.querySelector("[data-as-text]");
    const box = asText && asText.querySelector("input[type=checkbox]");
    let msg = "";
    let notJSON = false;
    if (text !== "") {
      let v;
      if (box && box.checked) {
        v = text;
      } else {
        try {
          v = JSON.parse(text);
        } catch (e) {
          notJSON = true;
          // A free output field says what its server says.
          msg = area.dataset.notJson || "Not valid JSON: " + e.message + ". Nothing was changed.";
        }
      }
      if (!msg && area.dataset.json === "object" && (v === null || typeof v !== "object" || Array.isArray(v))) {
        msg = "Input must be a JSON object, e.g. {\"name\": \"value\"}.";
      }
      const max = Number(area.dataset.maxBytes || 0);
      if (!msg && max > 0) {
        const n = encodedLength(v);
        if (n > max) msg = "Output is too large: " + n + " bytes encoded, the limit is " + max + " bytes. Nothing was changed.";
      }
    }
    const err = document.getElementById(area.id + "-error");
    area.setAttribute("aria-invalid", msg ? "true" : "false");
    if (err) {
      err.textContent = msg;
      err.hidden = !msg;
    }
    // Text that is not JSON may be meant as text: offer to send it so.
    if (asText && notJSON) asText.hidden = false;
    return !msg;
  }
  for (const form of document.querySelectorAll("form[data-json-form]")) {
    // Choosing "send as text" answers the message: check again.
    form.addEventListener("change", function (ev) {
      const choice = ev.target.closest("[data-as-text]");
      const area = choice && choice.closest(".field").querySelector("textarea[data-json]");
      if (area && area.getAttribute("aria-invalid") === "true") checkJSON(area);
    });
    form.addEventListener("submit", function (ev) {
      for (const area of form.querySelectorAll("textarea[data-json]")) {
        if (!checkJSON(area)) {
          ev.preventDefault();
          area.focus();
          return;
        }
      }
      // The server reads no form past its cap, so it could not show this
      // one again: say so here, before anything is sent.
      const max = Number(form.dataset.maxBody || 0);
      const err = form.querySelector("[data-form-error]");
      if (max > 0 && err) {
        const data = new FormData(form);
        if (ev.submitter && ev.submitter.name) data.append(ev.submitter.name, ev.submitter.value);
        const n = new TextEncoder().encode(new URLSearchParams(data).toString()).length;
        err.hidden = n <= max;
        err.textContent = n <= max ? "" : "The form is too large to send: " + n + " bytes as the browser sends it, the limit is " + max +
          " bytes. Shorten the output or the comment. Nothing was changed.";
        if (n > max) ev.preventDefault();
      }
    });
  }

  // --- What is typed -------------------------------------------------------
  // typedIn returns what the person typed in a region's forms: the text
  // fields that differ from what the page drew, with their labels.
  function typedIn(region) {
    const out = [];
    for (const el of region.querySelectorAll("form textarea, form input, form select")) {
      if (el.type === "hidden" || el.type === "checkbox" || el.type === "radio" || el.type === "submit") continue;
      let changed;
      if (el.tagName === "SELECT") {
        changed = Array.from(el.options).some(function (o) { return o.selected !== o.defaultSelected; });
      } else {
        changed = el.value !== el.defaultValue;
      }
      const value = el.tagName === "SELECT" ? Array.from(el.selectedOptions).map(function (o) { return o.text; }).join(", ") : el.value;
      if (!changed || value.trim() === "") continue;
      const label = el.labels && el.labels[0] ? el.labels[0].textContent.replace(/\s+/g, " ").trim() : el.name;
      out.push({ label: label, value: value });
    }
    return out;
  }

  // keepTyped adds to a redrawn region (the action was completed while
  // the person typed) what happened and, read-only, what they typed, as
  // the server's page does when such a form is sent.
  function keepTyped(region, typed) {
    const box = document.createElement("div");
    box.className = "unrecorded";
    box.dataset.testid = "kept";
    const note = document.createElement("p");
    note.className = "notice notice-warn";
    note.setAttribute("role", "status");
    note.dataset.testid = "kept-notice";
    note.textContent = "This was completed while you were typing, as shown here: nothing you typed was sent. It is kept below, to copy.";
    const h = document.createElement("h3");
    h.textContent = "What you typed (not recorded)";
    box.append(note, h);
    typed.forEach(function (t, i) {
      const id = "kept-" + region.dataset.region + "-" + i;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = t.label;
      const area = document.createElement("textarea");
      area.id = id;
      area.readOnly = true;
      area.rows = Math.min(8, t.value.split("\n").length + 1);
      area.value = t.value;
      area.dataset.testid = "kept-text";
      const field = document.createElement("div");
      field.className = "field";
      field.append(label, area);
      box.append(field);
    });
    const head = region.querySelector("h2");
    if (head) head.after(box);
    else region.prepend(box);
  }

  if (!main && !hasWaiting) return;

  // --- Regions -----------------------------------------------------------
  const rowLabel = { SUCCESS: "approved (SUCCESS)", ERROR: "rejected (ERROR)", CANCELLED: "cancelled" };

  // markGone turns a row that left the list into a note of what happened
  // to it: which request, its outcome, through what and by whom (the
  // event's note, e.g. "by alice"). It stays until dismissed or the page
  // is left, so that a person who looked away still sees it.
  function markGone(row) {
    if (row.dataset.testid !== "inbox-row") {
      row.remove();
      return;
    }
    const id = row.dataset.id;
    const link = row.querySelector("a[data-testid=inbox-link]") || row.querySelector("a");
    const name = link ? link.textContent : id;
    const info = done.get(id);
    const td = document.createElement("td");
    td.colSpan = row.children.length || 1;
    // A row may leave a list while still pending: "Waiting for me" says
    // why in its data-gone.
    const why = (row.parentElement && row.parentElement.dataset.gone) || "no longer pending";
    const what = document.createElement("span");
    what.dataset.testid = "gone-text";
    what.textContent = info
      ? name + " — " + (rowLabel[info.state] || info.state) + " via " + (info.via || "an unknown source") + (info.note ? " (" + info.note + ")" : "")
      : name + " — " + why;
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "button secondary small dismiss";
    dismiss.dataset.testid = "dismiss";
    dismiss.textContent = "Dismiss";
    dismiss.setAttribute("aria-label", "Dismiss " + name);
    dismiss.addEventListener("click", function () { row.remove(); });
    td.append(what, " ", dismiss);
    row.replaceChildren(td);
    row.classList.remove("fresh");
    row.classList.add("gone");
    if (info && info.state !== "SUCCESS") row.classList.add("gone-error");
    row.dataset.testid = "inbox-row-done";
  }

  // mergeRows makes cur's rows those of fresh, keyed by data-id: rows
  // that stay keep their element (and focus), new ones are highlighted,
  // vanished ones say who finished them before they fade.
  function mergeRows(cur, fresh) {
    const old = new Map();
    for (const r of cur.children) {
      if (!r.classList.contains("gone")) old.set(r.dataset.id, r);
    }
    const keep = new Set();
    for (const r of fresh.children) keep.add(r.dataset.id);
    for (const [id, r] of old) if (!keep.has(id)) markGone(r);
    let prev = null;
    for (const nr of Array.from(fresh.children)) {
      let row = old.get(nr.dataset.id);
      if (row && row.dataset.key !== nr.dataset.key) {
        const repl = document.adoptNode(nr);
        row.replaceWith(repl);
        row = repl;
      } else if (!row) {
        row = document.adoptNode(nr);
        if (row.dataset.testid === "inbox-row") row.classList.add("fresh");
      }
      const ref = prev ? prev.nextSibling : cur.firstChild;
      if (row !== ref) cur.insertBefore(row, ref);
      prev = row;
    }
  }

  function merge(doc) {
    for (const fresh of doc.querySelectorAll("[data-region]")) {
      const name = fresh.dataset.region;
      const cur = main.querySelector('[data-region="' + CSS.escape(name) + '"]');
      if (!cur) continue;
      if (cur.dataset.merge === "rows") {
        mergeRows(cur, fresh);
      } else if (cur.dataset.key === undefined || cur.dataset.key !== fresh.dataset.key) {
        // A graph scrolled to a task stays there when it is redrawn; text
        // typed in a form that is gone stays on the page.
        const box = cur.querySelector(".graph-box");
        const at = box && [box.scrollLeft, box.scrollTop];
        const typed = typedIn(cur);
        const next = document.adoptNode(fresh);
        cur.replaceWith(next);
        const nbox = at && next.querySelector(".graph-box");
        if (nbox) [nbox.scrollLeft, nbox.scrollTop] = at;
        if (typed.length > 0 && !next.querySelector("form")) keepTyped(next, typed);
      }
    }
    tickTimes();
    localTimes(main);
  }

  let timer = null;
  let inflight = false;
  let again = false;

  // refresh refetches the page's fragment; calls made meanwhile are folded
  // into one more fetch, so a burst of events costs two requests at most.
  async function refresh() {
    if (!main) return;
    if (inflight) {
      again = true;
      return;
    }
    inflight = true;
    try {
      const src = new URL(main.dataset.liveSrc, location.href);
      src.searchParams.set("fragment", "1");
      const res = await fetch(src, { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" });
      if (res.ok) {
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        merge(doc);
        main.dispatchEvent(new CustomEvent("sirocco:refreshed", { bubbles: true }));
      }
    } catch (e) {
      // The socket's reconnect will resynchronise.
    } finally {
      inflight = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  function schedule() {
    if (timer) return;
    timer = setTimeout(function () {
      timer = null;
      refresh();
    }, 80);
  }

  // --- The header's count --------------------------------------------------
  // Refetched (GET /inbox/waiting, an indexed count that stops at 1,000)
  // when an approval's event arrives, at most once a second whatever the
  // rate of events: a count in a header need not be faster, and a busy
  // server must not be asked for it per event by every open page.
  let wTimer = null;
  let wLast = 0;
  let wInflight = false;
  let wAgain = false;

  function scheduleWaiting() {
    if (!hasWaiting || wTimer) return;
    const wait = Math.max(80, 1000 - (Date.now() - wLast));
    wTimer = setTimeout(function () {
      wTimer = null;
      refreshWaiting();
    }, wait);
  }

  async function refreshWaiting() {
    if (wInflight) {
      wAgain = true;
      return;
    }
    wInflight = true;
    wLast = Date.now();
    try {
      const res = await fetch("/inbox/waiting", { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" });
      const cur = document.querySelector("a[data-waiting]");
      if (res.ok && res.status !== 204 && cur) {
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        const fresh = doc.querySelector("a[data-waiting]");
        if (fresh) {
          cur.replaceWith(document.adoptNode(fresh));
          document.dispatchEvent(new CustomEvent("sirocco:waiting", { bubbles: true }));
        }
      }
    } catch (e) {
      // The socket's reconnect will resynchronise.
    } finally {
      wInflight = false;
      if (wAgain) {
        wAgain = false;
        scheduleWaiting();
      }
    }
  }

  // --- Socket --------------------------------------------------------------
  function setStatus(state, text) {
    if (!status) return;
    status.hidden = false;
    status.dataset.state = state;
    status.textContent = text;
  }

  // showPresence writes who else views the page ("alice is viewing this").
  function showPresence(viewers) {
    const el = document.querySelector("[data-presence]");
    if (!el) return;
    const others = viewers.filter(function (v) { return v !== el.dataset.me; });
    let text = "";
    if (others.length === 1) text = others[0] + " is viewing this";
    else if (others.length > 1) text = others.slice(0, -1).join(", ") + " and " + others[others.length - 1] + " are viewing this";
    el.textContent = text;
  }

  let attempt = 0;
  let beat = null;
  function connect() {
    const q = new URLSearchParams();
    if (main) {
      for (const t of main.dataset.liveTopics.split(/\s+/)) if (t) q.append("topic", t);
    }
    if (hasWaiting) q.append("topic", "approvals");
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?" + q;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      retry();
      return;
    }
    ws.onopen = function () {
      attempt = 0;
      // An action's page tells the hub, every 20 seconds, that it is
      // still open and alive: others see this person viewing it until the
      // heartbeats stop (a closed or frozen tab).
      if (/(^|\s)action:/.test(main ? main.dataset.liveTopics : "")) {
        beat = setInterval(function () {
          if (ws.readyState === WebSocket.OPEN) ws.send('{"kind":"heartbeat"}');
        }, 20000);
      }
      setStatus("live", "Live");
      // Resynchronise: events may have passed while we were away, or
      // since the page was drawn.
      refresh();
      scheduleWaiting();
    };
    ws.onmessage = function (m) {
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch (e) {
        return;
      }
      if (ev.kind === "presence") {
        // Who has this page open: drawn here, with no refetch, since
        // every viewer gets each change.
        showPresence(ev.viewers || []);
        return;
      }
      if (ev.kind === "action_execution" && (ev.state === "SUCCESS" || ev.state === "ERROR" || ev.state === "CANCELLED")) {
        done.set(ev.id, ev);
      }
      if (main) schedule();
      if (ev.approval || ev.kind === "resync") scheduleWaiting();
    };
    ws.onclose = function () {
      if (beat) clearInterval(beat);
      beat = null;
      setStatus("down", "Reconnecting…");
      retry();
    };
  }

  function retry() {
    // Exponential backoff with jitter, from half a second up to 15 seconds.
    const delay = Math.min(15000, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() * 0.5);
    attempt++;
    setTimeout(connect, delay);
  }

  // sameServer says whether two origins reach this server's websocket:
  // equal, or the same scheme and port on two loopback spellings (the hub
  // accepts those; see internal/hub's loopbackOrigins).
  function sameServer(page, base) {
    if (page.toLowerCase() === base.toLowerCase()) return true;
    try {
      const x = new URL(page), y = new URL(base);
      const spelling = function (h) { return h === "localhost" || h === "[::1]" || h === "127.0.0.1"; };
      const loopback = function (h) { return spelling(h) || /^127\./.test(h); };
      return x.protocol === y.protocol && x.port === y.port && spelling(x.hostname) && loopback(y.hostname);
    } catch (e) {
      return false;
    }
  }

  // A page opened at another address than the server's -base-url would
  // have its websocket refused (the hub checks the Origin): say so, once,
  // instead of "Reconnecting…" forever.
  const origin = document.body.dataset.origin;
  if (origin && !sameServer(location.origin, origin)) {
    setStatus("off", "Live updates off: the server's -base-url is " + origin + ", open the dashboard there");
    if (status) status.title = "This page is at " + location.origin + "; the server accepts live connections only from pages at its -base-url (" + origin + ").";
    return;
  }
  connect();
})();
