/* policykg report: what the pages do beyond their links (every page works without it).
   - text page: the passages of a statement are marked when it is selected (#q-…); selecting a passage shows
     the facts it supports in a panel (copied from the statements' own lists, never parsed from text);
   - graph page: the picture (Cytoscape.js, shipped in static/) with preset positions computed by policykg;
   - print: <details> are opened for printing and closed again after.
   Nothing is fetched: the data of a page is in the page. */
(function () {
  "use strict";

  function tokens(el) {
    return (el.getAttribute("data-st") || "").split(" ").filter(Boolean);
  }

  /* ---- text and evidence ---- */
  function setupText() {
    var text = document.querySelector(".policy-text");
    var panel = document.getElementById("passage-panel");
    if (!text) { return; }
    var passages = Array.prototype.slice.call(text.querySelectorAll("a.q"));
    var lastPassage = null;

    function mark(stToken) {
      passages.forEach(function (p) {
        p.classList.toggle("current", stToken !== null && tokens(p).indexOf(stToken) >= 0);
      });
    }

    function fromHash() {
      var id = decodeURIComponent(location.hash.slice(1));
      document.querySelectorAll("li.statement.current").forEach(function (li) { li.classList.remove("current"); });
      if (id.indexOf("q-") === 0) {
        mark("s-" + id.slice(2));
        var target = document.getElementById(id);
        var first = target;
        while (first && first.tagName !== "A") { first = first.nextElementSibling; }
        if (first && first.focus) { first.focus({ preventScroll: true }); }
      } else if (id.indexOf("s-") === 0) {
        mark(id);
        var li = document.getElementById(id);
        if (li) { li.classList.add("current"); li.focus({ preventScroll: true }); }
      }
    }

    function closePanel() {
      if (!panel || panel.hidden) { return; }
      panel.hidden = true;
      if (lastPassage) { lastPassage.focus(); }
    }

    function openPanel(passage) {
      if (!panel) { return false; }
      var body = panel.querySelector(".panel-body");
      while (body.firstChild) { body.removeChild(body.firstChild); }
      tokens(passage).forEach(function (tok) {
        var li = document.getElementById(tok);
        if (!li) { return; }
        var h = document.createElement("h3");
        var a = document.createElement("a");
        a.href = "#" + tok;
        a.className = "to-statement";
        var head = li.querySelector(".to-passage, .sid");
        a.textContent = head ? head.textContent : tok;
        h.appendChild(a);
        if (li.classList.contains("inferred")) {
          var b = li.querySelector(".badge.inferred");
          if (b) { h.appendChild(document.createTextNode(" ")); h.appendChild(b.cloneNode(true)); }
        }
        body.appendChild(h);
        var facts = li.querySelector("ul.facts");
        if (facts) { body.appendChild(facts.cloneNode(true)); }
      });
      panel.hidden = false;
      lastPassage = passage;
      var heading = panel.querySelector("h2");
      if (heading) { heading.focus(); }
      return true;
    }

    passages.forEach(function (p) {
      p.addEventListener("click", function (ev) {
        var first = tokens(p)[0];
        mark(first || null);
        if (openPanel(p)) { ev.preventDefault(); }
      });
    });
    if (panel) {
      panel.querySelector("button.close").addEventListener("click", closePanel);
      panel.addEventListener("click", function (ev) {
        var a = ev.target.closest ? ev.target.closest("a.to-statement") : null;
        if (a) { panel.hidden = true; }
      });
      document.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape") { closePanel(); }
      });
    }
    window.addEventListener("hashchange", fromHash);
    if (location.hash) { fromHash(); }
  }

  /* ---- graph ---- */
  function setupGraph() {
    var box = document.getElementById("graph");
    var dataEl = document.getElementById("graph-data");
    if (!box || !dataEl || typeof window.cytoscape !== "function") { return; }
    var data = JSON.parse(dataEl.textContent);
    var info = document.getElementById("graph-info");
    var els = [];
    var minY = 0, maxY = 0;
    data.nodes.forEach(function (n) {
      minY = Math.min(minY, n.y); maxY = Math.max(maxY, n.y);
      els.push({ group: "nodes", data: { id: n.id, label: n.label, kind: n.kind, curie: n.curie }, position: { x: n.x, y: n.y } });
    });
    data.edges.forEach(function (e, i) {
      els.push({ group: "edges", data: { id: "e" + i, source: e.source, target: e.target, evidence: e.evidence } });
    });
    box.style.height = Math.max(420, Math.min(1800, (maxY - minY) + 120)) + "px";
    var colours = { data: "#d8ecff", process: "#ffe0b8", purpose: "#dff3dc", basis: "#f1ddf4", recipient: "#ffdede", location: "#dcf0f1" };
    var cy = window.cytoscape({
      container: box, elements: els, layout: { name: "preset" }, userZoomingEnabled: false, boxSelectionEnabled: false,
      style: [
        { selector: "node", style: {
          "label": "data(label)", "font-size": 13, "color": "#1b1b1b", "text-wrap": "wrap", "text-max-width": 230,
          "width": 16, "height": 16, "border-width": 1, "border-color": "#1b1b1b", "text-valign": "center",
          "text-halign": "right", "text-margin-x": 6, "background-color": function (n) { return colours[n.data("kind")] || "#eee"; } } },
        { selector: "node[kind = 'data']", style: { "text-halign": "left", "text-margin-x": -6 } },
        { selector: "node[kind = 'process']", style: { "shape": "round-rectangle", "width": 22, "height": 22,
          "text-valign": "top", "text-halign": "center", "text-margin-x": 0, "text-margin-y": -4, "font-weight": "bold",
          "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 2 } },
        { selector: "edge", style: { "width": 1.2, "line-color": "#8a94a3", "curve-style": "bezier", "opacity": 0.75 } },
        { selector: ".faded", style: { "opacity": 0.12 } },
        { selector: "node.picked", style: { "border-width": 3 } },
        { selector: "edge.lit", style: { "line-color": "#1b1b1b", "width": 2.2, "opacity": 1 } }
      ]
    });
    cy.fit(undefined, 30);
    if (cy.zoom() > 1.1) { cy.zoom(1.1); cy.center(); }

    function show(node) {
      cy.elements().removeClass("faded lit picked");
      if (!node) { while (info.firstChild) { info.removeChild(info.firstChild); } return; }
      var hood = node.closedNeighborhood();
      cy.elements().difference(hood).addClass("faded");
      hood.edges().addClass("lit");
      node.addClass("picked");
      while (info.firstChild) { info.removeChild(info.firstChild); }
      var h = document.createElement("h3");
      h.textContent = node.data("label") + (node.data("curie") ? " (" + node.data("curie") + ")" : "") + " — " + (data.kinds[node.data("kind")] || "");
      info.appendChild(h);
      var ul = document.createElement("ul");
      node.connectedEdges().forEach(function (edge) {
        var other = edge.source().id() === node.id() ? edge.target() : edge.source();
        var li = document.createElement("li");
        li.appendChild(document.createTextNode(other.data("label") + " "));
        (edge.data("evidence") || []).forEach(function (id) {
          if (!Object.prototype.hasOwnProperty.call(data.href, id)) { return; }
          var a = document.createElement("a");
          a.className = "ev"; a.href = data.href[id]; a.textContent = id;
          li.appendChild(a); li.appendChild(document.createTextNode(" "));
        });
        ul.appendChild(li);
      });
      info.appendChild(ul);
    }
    cy.on("tap", "node", function (ev) { show(ev.target); });
    cy.on("tap", function (ev) { if (ev.target === cy) { show(null); } });

    var tools = document.createElement("div");
    tools.className = "graph-tools";
    [["+", function () { cy.zoom({ level: cy.zoom() * 1.25, renderedPosition: { x: box.clientWidth / 2, y: box.clientHeight / 2 } }); }, "zoom_in"],
     ["−", function () { cy.zoom({ level: cy.zoom() / 1.25, renderedPosition: { x: box.clientWidth / 2, y: box.clientHeight / 2 } }); }, "zoom_out"],
     ["⤢", function () { cy.fit(undefined, 30); }, "fit"]].forEach(function (t) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = t[0]; b.setAttribute("aria-label", data.words[t[2]]);
      b.addEventListener("click", t[1]);
      tools.appendChild(b);
    });
    box.parentNode.insertBefore(tools, box);
    window.policykgGraph = cy;
  }

  /* ---- print: open every <details>, close again after ---- */
  function setupPrint() {
    var opened = [];
    window.addEventListener("beforeprint", function () {
      opened = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
      opened.forEach(function (d) { d.open = true; });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (d) { d.open = false; });
      opened = [];
    });
  }

  setupText();
  setupGraph();
  setupPrint();
})();
