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
    // ARIA combobox with a listbox popup: arrow keys move the active option (announced via
    // aria-activedescendant), Enter opens it, Escape closes the list.
    var timer = null, seq = 0, active = -1;
    var options = function () { return box.querySelectorAll("[role=option]"); };
    var hide = function () {
      box.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    };
    var mark = function (i) {
      var os = options();
      if (!os.length) return;
      active = (i + os.length) % os.length;
      Array.prototype.forEach.call(os, function (o, j) { o.setAttribute("aria-selected", j === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", os[active].id);
      os[active].scrollIntoView({ block: "nearest" });
    };
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
            var add = function (href, text, cls) {
              var a = document.createElement("a");
              a.href = href;
              a.textContent = text;
              a.id = "sug-" + box.childNodes.length;
              a.setAttribute("role", "option");
              a.setAttribute("aria-selected", "false");
              a.tabIndex = -1;
              if (cls) a.className = cls;
              box.appendChild(a);
            };
            (page.hits || []).forEach(function (h) {
              add("/rule/" + encodeURIComponent(h.vendor) + "/" + encodeURIComponent(h.id), h.title + " · " + h.vendor);
            });
            add("/search?q=" + encodeURIComponent(q), page.total + " rules match — show all", "more");
            box.hidden = false; active = -1;
            input.setAttribute("aria-expanded", "true");
          })
          .catch(hide);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { hide(); return; }
      if (box.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark(active - 1); }
      else if (e.key === "Enter" && active >= 0) {
        var os = options();
        if (os[active]) { e.preventDefault(); location.href = os[active].href; }
      }
    });
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
  // Copy buttons beside the guide's values (the value is copied as text, never parsed).
  if (navigator.clipboard) {
    Array.prototype.forEach.call(document.querySelectorAll("#guide code.v"), function (code) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "copy";
      b.textContent = "copy";
      b.setAttribute("aria-label", "copy the value");
      b.addEventListener("click", function (e) {
        e.preventDefault(); e.stopPropagation();
        navigator.clipboard.writeText(code.textContent).then(function () { b.textContent = "copied"; });
      });
      code.parentNode.insertBefore(b, code.nextSibling);
    });
  }
  document.documentElement.setAttribute("data-js", "ready");
})();
