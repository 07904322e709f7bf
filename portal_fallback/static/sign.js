/* Signing page: draw with pointer events (finger, mouse, pen, trackpad), then post the PNG. No framework. */
(function () {
  "use strict";
  var form = document.getElementById("sign");
  var canvas = document.getElementById("pad");
  if (!form || !canvas) return;
  var ctx = canvas.getContext("2d");
  var submit = document.getElementById("submit");
  var status = document.getElementById("status");
  var consent = document.getElementById("consent");
  var code = document.getElementById("code");
  var MIN_INK = 150; /* CSS pixels of stroke length before the signature may be sent */
  var strokes = [], current = null, ink = 0, ratio = 1, cssW = 0, cssH = 0, busy = false;

  function say(text, kind) {
    status.textContent = text || "";
    status.className = "status" + (kind ? " " + kind : "");
  }

  function pen() {
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 3.2;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#0f195a";
    ctx.fillStyle = "#0f195a";
  }

  function drawSegment(a, b) {
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }

  function dot(p) {
    ctx.beginPath();
    ctx.arc(p[0], p[1], 1.6, 0, Math.PI * 2);
    ctx.fill();
  }

  function redraw() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    pen();
    if (strokes.length === 1 && strokes[0][0][0] < 0) { strokes = []; ink = 0; update(); return; }
    strokes.forEach(function (s) {
      if (s.length === 1) dot(s[0]);
      for (var i = 1; i < s.length; i++) drawSegment(s[i - 1], s[i]);
    });
  }

  function size() {
    var rect = canvas.getBoundingClientRect();
    var w = Math.max(rect.width, 60), h = Math.max(rect.height, 60);
    var r = Math.min(window.devicePixelRatio || 1, 3);
    r = Math.min(r, 4000 / w, 4000 / h);
    if (cssW && (w !== cssW || h !== cssH)) {
      var sx = w / cssW, sy = h / cssH;
      strokes = strokes.map(function (s) { return s.map(function (p) { return [p[0] * sx, p[1] * sy]; }); });
    }
    cssW = w; cssH = h; ratio = r;
    canvas.width = Math.round(w * r);
    canvas.height = Math.round(h * r);
    redraw();
  }

  function point(e) {
    var rect = canvas.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  function update() {
    submit.disabled = busy || ink < MIN_INK;
  }

  canvas.addEventListener("pointerdown", function (e) {
    if (e.button !== undefined && e.button > 0) return;
    e.preventDefault();
    if (strokes.length === 1 && strokes[0][0][0] < 0) redraw(); /* drawing replaces a typed signature */
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* some pens refuse capture */ }
    current = [point(e)];
    strokes.push(current);
    pen();
    dot(current[0]);
  });

  canvas.addEventListener("pointermove", function (e) {
    if (!current) return;
    e.preventDefault();
    var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    if (!events.length) events = [e];
    events.forEach(function (ev) {
      var p = point(ev), last = current[current.length - 1];
      var d = Math.hypot(p[0] - last[0], p[1] - last[1]);
      if (d < 0.5) return;
      current.push(p);
      drawSegment(last, p);
      ink += d;
    });
    update();
  });

  function end(e) {
    if (!current) return;
    current = null;
    try { canvas.releasePointerCapture(e.pointerId); } catch (err) { /* already released */ }
    update();
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("lostpointercapture", end);

  document.getElementById("clear").addEventListener("click", function () {
    strokes = []; current = null; ink = 0;
    redraw();
    say("");
    update();
  });

  /* Without a pointer (keyboard, switch access) the typed name becomes the drawn signature. */
  var typed = document.getElementById("typed");
  document.getElementById("use-typed").addEventListener("click", function () {
    var name = typed.value.trim();
    if (name.length < 2) { say(form.dataset.needName, "error"); typed.focus(); return; }
    strokes = []; current = null;
    redraw();
    var size = Math.min(cssH * 0.4, cssW * 1.6 / name.length);
    ctx.font = "italic " + Math.round(size) + "px 'Brush Script MT', 'Segoe Script', cursive, serif";
    ctx.textBaseline = "middle";
    ctx.fillText(name, cssW * 0.06, cssH * 0.55, cssW * 0.88);
    strokes = [[[-1, -1]]]; /* marks the pad as used; a resize clears a typed signature */
    ink = MIN_INK;
    say("");
    update();
  });

  var resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(size, 120);
  });

  function values() {
    var out = {};
    form.querySelectorAll("[data-field]").forEach(function (el) {
      out[el.getAttribute("data-field")] = el.type === "checkbox" ? el.checked : el.value;
    });
    return out;
  }

  function missing() {
    var bad = null;
    form.querySelectorAll("[data-field][required]").forEach(function (el) {
      var empty = el.type === "checkbox" ? !el.checked : !el.value.trim();
      if (empty && !bad) bad = el;
    });
    return bad;
  }

  function post(url, body) {
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; });
      });
  }

  var otp = document.getElementById("otp-send");
  if (otp) {
    otp.addEventListener("click", function () {
      var fd = new FormData();
      otp.disabled = true;
      fetch(form.getAttribute("action").replace(/\/sign$/, "/code"), {
        method: "POST", credentials: "same-origin",
        headers: { "X-Page-Token": form.elements.csrf.value, "Accept": "application/json" }, body: fd
      }).then(function (r) { return r.json(); }).then(function (data) {
        say(data.message || form.dataset.failed, data.ok ? "ok" : "error");
        if (code) code.focus();
      }).catch(function () { say(form.dataset.offline, "error"); })
        .then(function () { setTimeout(function () { otp.disabled = false; }, 5000); });
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (busy) return;
    if (ink < MIN_INK) { say(form.dataset.needInk, "error"); return; }
    var bad = missing();
    if (bad) { say(form.dataset.needFields, "error"); bad.focus(); return; }
    if (code && !/^\d{6}$/.test(code.value.replace(/\s/g, ""))) { say(form.dataset.needCode, "error"); code.focus(); return; }
    if (!consent.checked) { say(form.dataset.needConsent, "error"); consent.focus(); return; }
    busy = true;
    update();
    say(form.dataset.sending);
    canvas.toBlob(function (blob) {
      var fd = new FormData();
      fd.append("signature", blob, "signature.png");
      fd.append("csrf", form.elements.csrf.value);
      fd.append("document_sha256", form.elements.document_sha256.value);
      fd.append("consent", "1");
      fd.append("typed_name", form.elements.typed_name.value);
      if (code) fd.append("code", code.value.replace(/\s/g, ""));
      fd.append("values", JSON.stringify(values()));
      post(form.getAttribute("action"), fd).then(function (res) {
        if (res.ok && res.data.ok) {
          var done = document.createElement("section");
          done.className = "done";
          done.setAttribute("tabindex", "-1");
          var h = document.createElement("h2");
          h.textContent = res.data.title;
          var p = document.createElement("p");
          p.textContent = res.data.message;
          done.appendChild(h);
          done.appendChild(p);
          form.replaceWith(done);
          done.focus();
          return;
        }
        busy = false;
        update();
        say(res.data.message || form.dataset.failed, "error");
      }).catch(function () {
        busy = false;
        update();
        say(form.dataset.offline, "error");
      });
    }, "image/png");
  });

  size();
  update();
})();
