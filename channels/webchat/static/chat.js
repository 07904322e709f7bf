/* Mandat web chat: talks to its own endpoints with relative URLs; shows every text with textContent. */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;
  var d = root.dataset;
  var base = location.pathname.replace(/\/+$/, "") + "/";
  var $ = function (id) { return document.getElementById(id); };
  var log = $("messages"), quick = $("quick"), form = $("composer"), input = $("text"), send = $("send"),
    fileInput = $("file"), uploadBtn = $("upload"), notice = $("notice"), done = $("done"),
    bar = $("progress"), barText = $("progress-text");
  var seen = {}, busy = false, lastAgent = null, events = null, refreshTimer = 0;

  function fmt(s, v) { return s.replace(/\{(\w+)\}/g, function (_, k) { return v[k] !== undefined ? v[k] : ""; }); }
  function uid() {
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function say(text) { notice.textContent = text || ""; }

  function addMessage(m, who) {
    if (m.id && seen[m.id]) return false;
    if (m.id) seen[m.id] = true;
    var el = document.createElement("div");
    el.className = "msg " + who;
    var label = document.createElement("span");
    label.className = "sr-only";
    label.textContent = (who === "agent" ? d.tAgent : d.tYou) + ": ";
    el.appendChild(label);
    var body = document.createElement("p");
    body.textContent = m.text || "";
    el.appendChild(body);
    if (m.attachments && m.attachments.length) {
      var att = document.createElement("p");
      att.className = "att";
      att.textContent = fmt(d.tAttached, { names: m.attachments.join(", ") });
      el.appendChild(att);
    }
    if (m.link && /^sign:\d+$/.test(m.link)) {
      var sign = document.createElement("button");
      sign.type = "button"; sign.className = "linkbtn";
      sign.textContent = d.tSignNow;
      sign.addEventListener("click", function () {
        sign.disabled = true;
        request("sign/" + m.link.slice(5), { method: "POST" }, 2).then(function (res) {
          if (res.ok && res.body.url) { location.assign(res.body.url); return; }
          sign.disabled = false; say((res.body && res.body.message) || d.tFailed);
        }, function () { sign.disabled = false; say(d.tFailed); });
      });
      el.appendChild(sign);
    } else if (m.link && /^https?:\/\//i.test(m.link)) {
      var a = document.createElement("a");
      a.href = m.link; a.rel = "noreferrer noopener"; a.className = "linkbtn";
      a.textContent = m.link_label || m.link;
      el.appendChild(a);
    }
    log.appendChild(el);
    if (who === "agent") lastAgent = m;
    el.scrollIntoView({ block: "end" });
    return true;
  }

  function showQuick(replies) {
    quick.textContent = "";
    (replies || []).forEach(function (text) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "qr"; b.textContent = text;
      b.addEventListener("click", function () { sendText(text); });
      quick.appendChild(b);
    });
  }

  function setState(progress, status) {
    if (progress) {
      var n = progress.answered, m = progress.total, all = status === "complete" || (m > 0 && n >= m);
      bar.max = Math.max(m, 1); bar.value = all ? bar.max : Math.min(n, m);
      barText.textContent = all ? d.tProgressDone : m === 0 ? d.tProgressNone : fmt(d.tProgress, { n: n + 1, m: m });
    }
    if (status) {
      done.hidden = status !== "complete";
      root.classList.toggle("complete", status === "complete");
    }
  }

  function setBusy(on, text) {
    busy = on; send.disabled = on; uploadBtn.disabled = on;
    Array.prototype.forEach.call(quick.querySelectorAll("button"), function (b) { b.disabled = on; });
    root.setAttribute("aria-busy", on ? "true" : "false");
    if (text !== undefined) say(text);
  }

  function request(path, options, tries) {
    return fetch(base + path, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }, function (err) {
      if (tries > 1) return new Promise(function (res) { setTimeout(res, 800); }).then(function () { return request(path, options, tries - 1); });
      throw err;
    });
  }

  function applyTurn(res) {
    if (!res.ok) { say((res.body && res.body.message) || d.tFailed); return false; }
    say("");
    var b = res.body;
    (b.replies || []).forEach(function (r) { addMessage(r, "agent"); });
    showQuick(b.status === "complete" ? [] : (lastAgent && lastAgent.quick_replies) || []);
    setState(b.progress, b.status);
    return true;
  }

  function sendText(text) {
    text = (text || "").trim();
    if (!text || busy) return;
    var id = uid();
    addMessage({ id: "local-" + id, text: text }, "client");
    showQuick([]);
    setBusy(true, d.tSending);
    var opts = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: text, id: id }) };
    return request("messages", opts, 3).then(function (res) {
      setBusy(false);
      if (!applyTurn(res)) { input.value = input.value || text; showQuick(lastAgent && lastAgent.quick_replies); }
    }, function () {
      setBusy(false, d.tOffline); input.value = input.value || text; showQuick(lastAgent && lastAgent.quick_replies);
    });
  }

  function sendFiles(files) {
    if (!files.length || busy) return;
    var max = +d.maxBytes, names = [], data = new FormData();
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > max) { say(fmt(d.tTooLarge, { name: files[i].name, mb: d.tMb })); return; }
      names.push(files[i].name); data.append("file", files[i], files[i].name);
    }
    var id = uid();
    data.append("id", id);
    addMessage({ id: "local-" + id, text: "", attachments: names }, "client");
    setBusy(true, d.tUploading);
    return request("uploads", { method: "POST", body: data }, 2).then(function (res) {
      setBusy(false); applyTurn(res);
    }, function () { setBusy(false, d.tOffline); });
  }

  function loadHistory(initial) {
    return request("history", { headers: { Accept: "application/json" } }, 2).then(function (res) {
      if (!res.ok) { say((res.body && res.body.message) || d.tFailed); return; }
      if (initial) log.setAttribute("aria-busy", "true"); // do not read the whole history aloud at once
      (res.body.messages || []).forEach(function (m) {
        if (m.from === "agent") addMessage(m, "agent");
        else if (initial) addMessage(m, "client");
      });
      var last = res.body.messages && res.body.messages[res.body.messages.length - 1];
      var openReplies = last && last.from === "agent" && res.body.status !== "complete" ? last.quick_replies : [];
      log.setAttribute("aria-busy", "false");
      if (!busy) showQuick(openReplies);
      setState(res.body.progress, res.body.status);
    }, function () { say(d.tOffline); });
  }

  function listen() {
    if (!window.EventSource) return;
    var opened = false;
    events = new EventSource(base + "events");
    events.addEventListener("open", function () {
      if (opened) loadHistory(false); // reconnected: pick up what was missed
      opened = true;
    });
    events.addEventListener("gone", function () { events.close(); loadHistory(false); });
    events.addEventListener("message", function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (_) { return; }
      if (addMessage(m, "agent") && !busy) {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(function () { loadHistory(false); }, 300);
      }
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) return;
    input.value = "";
    sendText(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });
  uploadBtn.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    var files = Array.prototype.slice.call(fileInput.files || []);
    fileInput.value = "";
    sendFiles(files);
  });
  window.addEventListener("pagehide", function () { if (events) events.close(); });

  loadHistory(true).then(listen);
})();
