"""The HTML report's inline style sheet and script (the page fetches nothing)."""

from __future__ import annotations

STYLE = """
:root{--ok:#1a7f37;--bad:#cf222e;--muted:#6e7781;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}[hidden]{display:none!important}
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328}
main{max-width:1200px;margin:0 auto;padding:0 1.2em 3em}
h1{font-size:1.4em;margin:.8em 0 .2em}h2{font-size:1.2em;margin:1.4em 0 .5em;border-bottom:1px solid var(--line)}
.banner{padding:.8em 1.2em;color:#fff;font-size:1.15em;position:sticky;top:0;z-index:2}
.banner.pass{background:var(--ok)}.banner.fail{background:var(--bad)}.banner strong{font-size:1.3em;margin-right:.6em}
.banner a{color:#fff}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid var(--line);padding:3px 8px;text-align:left}
th{background:var(--soft)}td.num{text-align:right;font-variant-numeric:tabular-nums}
.overview{display:grid;grid-template-columns:minmax(18em,1fr) 2fr;gap:0 2em}
.overview h3{font-size:1em;margin:.6em 0 .2em}@media (max-width:800px){.overview{grid-template-columns:1fr}}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em;margin:.4em 0}dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;word-break:break-all}
#filters{position:sticky;top:3.1em;z-index:1;background:#fff;border:1px solid var(--line);border-radius:6px;
  padding:.5em .8em;margin:.6em 0;display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center}
#filters fieldset{border:0;padding:0;margin:0;display:contents}
#filters input[type=search]{min-width:18em;padding:3px 6px}#filters .shown{color:var(--muted)}
.verdict{display:inline-block;border-radius:10px;padding:0 .55em;font-size:12px;color:#fff;background:var(--muted)}
.verdict.failed{background:var(--bad)}.verdict.passed{background:var(--ok)}.verdict.skipped{background:#9a6700}
.verdict.error{background:#8250df}.case.error{border-color:#8250df}
.tag{display:inline-block;font-size:11px;color:var(--muted);border:1px solid var(--line);border-radius:8px;
  padding:0 .45em;margin-left:.3em}
.clause{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:4px;padding:.4em .8em;
  margin:.4em 0}
.clause.failed{border-left-color:var(--bad)}.clause.passed{border-left-color:var(--ok)}
.clause.skipped{border-left-color:#9a6700}
.clause>header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.3em}.clause .rule{margin:.2em 0}
blockquote{margin:.3em 0;padding:.1em .8em;border-left:3px solid var(--line);color:#424a53;font-style:italic}
.source,.why{color:var(--muted);font-size:12px;margin:.2em 0}.first{color:var(--bad);margin:.2em 0}
a.anchor{color:var(--muted);text-decoration:none}a.anchor:hover{text-decoration:underline}
details{margin:.3em 0}summary{cursor:pointer}
.case{border:1px solid var(--line);border-radius:4px;padding:.3em .7em}.case>summary code{font-size:13px}
.case .body{padding:.3em 0 .2em 1em}.violations li{color:var(--bad)}
.call{border-top:1px dashed var(--line);padding:.3em 0}.call.broke{background:#fff5f5}
pre{white-space:pre-wrap;word-break:break-all;background:var(--soft);padding:.5em;font-size:12px;margin:.3em 0;
  max-height:24em;overflow:auto}
.thumbs img{border:1px solid var(--line);margin:2px;image-rendering:pixelated;max-width:320px;max-height:240px;
  vertical-align:top}
/* An anchor lands below the sticky verdict banner and filter bar, not under them. */
.clause,.case,.call{scroll-margin-top:9.5em}
.target{outline:3px solid #0969da;outline-offset:2px}.empty{color:var(--muted);font-style:italic}
"""

SCRIPT = """
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-kind]"));
  function apply() {
    var verdicts = {};
    form.querySelectorAll("input[name=verdict]").forEach(function (box) { verdicts[box.value] = box.checked; });
    var category = form.elements.category.value, tier = form.elements.tier.value;
    var text = form.elements.q.value.trim().toLowerCase();
    var shown = {clause: 0, "case": 0};
    items.forEach(function (el) {
      var ok = verdicts[el.dataset.verdict] !== false && (!category || el.dataset.category === category) &&
        (!tier || el.dataset.tier === tier) && (!text || el.dataset.text.indexOf(text) >= 0);
      el.hidden = !ok;
      if (ok) { shown[el.dataset.kind] += 1; }
    });
    document.getElementById("shown-clauses").textContent = shown.clause;
    document.getElementById("shown-cases").textContent = shown["case"];
    document.getElementById("no-clause").hidden = shown.clause > 0;
    document.getElementById("no-case").hidden = shown["case"] > 0;
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) { return; }
    document.querySelectorAll(".target").forEach(function (old) { old.classList.remove("target"); });
    for (var node = el; node; node = node.parentElement) {
      if (node.hidden) { node.hidden = false; }
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    // A clause's anchor is followed to see its evidence: open it too.
    el.querySelectorAll("details.evidence").forEach(function (d) { d.open = true; });
    el.classList.add("target");
    el.scrollIntoView();
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.querySelectorAll("[data-filter-text]").forEach(function (button) {
    button.addEventListener("click", function () {
      form.elements.q.value = button.dataset.filterText;
      form.querySelectorAll("input[name=verdict]").forEach(function (box) { box.checked = true; });
      apply();
      document.getElementById("cases").scrollIntoView();
    });
  });
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
  document.body.dataset.ready = "true";
})();
"""
