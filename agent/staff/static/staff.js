// Staff pages: the bell polls a small JSON endpoint and opens a list of the latest activity.
// Everything from the server is set with textContent (never innerHTML): client text stays text.
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  if (!bell) return;
  var button = document.getElementById("bell-button");
  var count = document.getElementById("bell-count");
  var list = document.getElementById("bell-list");
  var items = document.getElementById("bell-items");
  var label = button.getAttribute("data-label") || "{n}";
  var url = bell.getAttribute("data-url");

  function show(data) {
    var n = data.shown || String(data.count);
    count.textContent = n;
    count.setAttribute("data-count", String(data.count));
    button.setAttribute("aria-label", label.replace("{n}", n));
    var empty = items.querySelector(".empty");
    var emptyText = empty ? empty.textContent : "";
    while (items.firstChild) items.removeChild(items.firstChild);
    if (!data.items.length) {
      var li = document.createElement("li");
      li.className = "empty";
      li.textContent = emptyText;
      items.appendChild(li);
    }
    data.items.forEach(function (item) {
      var li = document.createElement("li");
      if (item.unseen) li.className = "unseen";
      var a = document.createElement("a");
      a.href = "/staff/requests/" + encodeURIComponent(item.request_id);
      var strong = document.createElement("strong");
      strong.textContent = item.client;
      a.appendChild(strong);
      a.appendChild(document.createTextNode(" " + item.summary));
      li.appendChild(a);
      items.appendChild(li);
    });
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (r.status === 401) { window.location.href = "/staff/login"; } return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () {});
  }

  button.addEventListener("click", function () {
    var open = list.hidden;
    list.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !list.hidden) { list.hidden = true; button.setAttribute("aria-expanded", "false"); button.focus(); }
  });
  var every = parseInt(bell.getAttribute("data-every") || "5000", 10);
  setInterval(function () { if (!document.hidden) poll(); }, every);
})();
