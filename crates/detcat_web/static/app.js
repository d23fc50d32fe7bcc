// detcat: a little progressive enhancement. Pages work without it.
// - search-as-you-type: fetches /api/search (server only) and lists titles — built with
//   DOM APIs and textContent, never innerHTML, so rule text cannot become markup.
// - on technique pages, "expand all" / "collapse all" toggles for the value lists.
(function () {
  "use strict";
  var mode = document.body.getAttribute("data-mode");
  var input = document.getElementById("q");
  var box = document.getElementById("suggest");
  if (mode === "server" && input && box) {
    var timer = null, seq = 0;
    var hide = function () { box.hidden = true; };
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { hide(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/api/search?limit=8&q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (page) {
            if (mine !== seq || !page) return;
            while (box.firstChild) box.removeChild(box.firstChild);
            (page.hits || []).forEach(function (h) {
              var a = document.createElement("a");
              a.href = "/rule/" + encodeURIComponent(h.vendor) + "/" + encodeURIComponent(h.id);
              a.textContent = h.title + " · " + h.vendor;
              box.appendChild(a);
            });
            var more = document.createElement("a");
            more.className = "more";
            more.href = "/search?q=" + encodeURIComponent(q);
            more.textContent = page.total + " rules match — show all";
            box.appendChild(more);
            box.hidden = false;
          })
          .catch(hide);
      }, 150);
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Escape") hide(); });
    document.addEventListener("click", function (e) { if (!box.contains(e.target) && e.target !== input) hide(); });
  }
  // Expand/collapse all value lists of a table.
  var tables = document.querySelectorAll("table.data");
  Array.prototype.forEach.call(tables, function (t) {
    var ds = t.querySelectorAll("details.value");
    if (ds.length < 2) return;
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "toggle-all";
    btn.textContent = "expand all";
    btn.addEventListener("click", function () {
      var open = btn.textContent === "expand all";
      Array.prototype.forEach.call(ds, function (d) { d.open = open; });
      btn.textContent = open ? "collapse all" : "expand all";
    });
    t.parentNode.insertBefore(btn, t);
    // A link to `…#expand-all` opens every list (shareable, and how the browser test clicks).
    if (location.hash === "#expand-all") btn.click();
  });
  document.documentElement.setAttribute("data-js", "ready");
})();
