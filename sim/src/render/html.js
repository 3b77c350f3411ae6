// The page's script: reads the run's data from #run-data, draws the timeline and shows the
// state at the chosen moment. The moment is a number of steps (events) applied: a tick
// shows every event at or before it. The steps are applied as `Page::snapshot_at_step` in
// sim/src/render/html.rs applies them. Every name and printed line is put in the document
// with textContent, never as markup.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("run-data").textContent);
  var steps = data.steps;
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }

  // ----- the state at a moment -----

  function initial() {
    return {
      step: 0,
      procs: data.processes.map(function () { return null; }),
      endpoints: data.endpoints.map(function (e) {
        return { owner: e.owner, live: e.kind === "inbox", seen: e.kind === "inbox", queue: [] };
      }),
      console: []
    };
  }

  function apply(s, c, tick) {
    var e;
    switch (c[0]) {
      case "state":
        s.procs[c[1]] = { state: c[2], detail: c[3], since: tick };
        break;
      case "enqueue":
        s.endpoints[c[1]].queue.push(c[2]);
        break;
      case "dequeue":
        e = s.endpoints[c[1]];
        var i = e.queue.indexOf(c[2]);
        if (i >= 0) e.queue.splice(i, 1);
        break;
      case "drop":
        e = s.endpoints[c[1]];
        e.queue.splice(0, Math.min(c[2], e.queue.length));
        break;
      case "owner":
        e = s.endpoints[c[1]];
        e.owner = c[2];
        e.live = c[3];
        e.seen = true;
        break;
      case "print":
        s.console.push([c[1], c[2]]);
        break;
    }
  }

  // The last state computed: moving forward applies the steps between, moving back starts
  // over (a few thousand steps take a few milliseconds).
  var cache = initial();
  function stateAt(k) {
    if (k < cache.step) cache = initial();
    while (cache.step < k) {
      var st = steps[cache.step];
      for (var j = 0; j < st[2].length; j++) apply(cache, st[2][j], st[0]);
      cache.step++;
    }
    return cache;
  }

  // How many steps are at or before tick t.
  function stepsTo(t) {
    var lo = 0, hi = steps.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (steps[mid][0] <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // ----- the static parts -----

  document.getElementById("title").textContent = data.title;
  if (data.events_kept < data.events_total) {
    var note = document.getElementById("truncated");
    note.textContent = "This run had " + data.events_total + " events; the page holds the first " +
      data.events_kept + " (at most " + data.max_events + " are embedded), up to tick " + data.end +
      ". Later events are not shown.";
    note.hidden = false;
  }
  var slider = document.getElementById("tick-slider");
  slider.max = String(data.end);

  var rows = data.processes.map(function (p) {
    var tr = el("tr", "proc");
    tr.appendChild(el("td", "label", p.label));
    tr.appendChild(el("td", "program", p.program));
    var cells = { state: el("td", "state"), detail: el("td", "detail"), since: el("td", "since") };
    tr.appendChild(cells.state);
    tr.appendChild(cells.detail);
    tr.appendChild(cells.since);
    document.querySelector("#processes tbody").appendChild(tr);
    return { tr: tr, cells: cells };
  });

  var boxes = data.endpoints.map(function (e) {
    var div = el("div", "endpoint " + e.kind);
    div.appendChild(el("h3", "name", e.label));
    var owner = el("div", "owner");
    var status = el("div", "status");
    var queue = el("ol", "queue");
    div.appendChild(owner);
    div.appendChild(status);
    div.appendChild(queue);
    document.getElementById("endpoints").appendChild(div);
    return { div: div, owner: owner, status: status, queue: queue };
  });

  // ----- the timeline -----

  // The labels stay put on the left; the plot beside them scrolls when the run is long.
  var ROW = 24, BAR = 14, TOP = 8, AXIS = 28, LEFT = 12;
  var longest = 8;
  data.processes.forEach(function (p) { longest = Math.max(longest, p.label.length); });
  var LABELS = Math.max(110, longest * 7.3 + 16);
  var span = Math.max(1, data.end);
  var PLOT = Math.max(960, Math.min(6000, span * 2));
  var x = function (t) { return LEFT + (t / span) * PLOT; };
  var rowY = function (r) { return TOP + r * ROW; };
  var height = TOP + Math.max(1, data.processes.length) * ROW + AXIS;
  var width = LEFT + PLOT + 30;
  var byCpu = data.cpus > 1;
  var labels = svg("svg", { id: "timeline-labels", width: LABELS, height: height });
  var chart = svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height });
  var defs = svg("defs", {});
  var marker = svg("marker", { id: "arrowhead", viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
  marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#1f3a93" }));
  defs.appendChild(marker);
  chart.appendChild(defs);
  data.processes.forEach(function (p, r) {
    if (r % 2 === 1) {
      labels.appendChild(svg("rect", { x: 0, y: rowY(r), width: LABELS, height: ROW, fill: "#f7f7f7" }));
      chart.appendChild(svg("rect", { x: 0, y: rowY(r), width: width, height: ROW, fill: "#f7f7f7" }));
    }
    var label = svg("text", { "class": "row-label", x: 6, y: rowY(r) + ROW / 2 + 4 });
    label.textContent = p.label;
    labels.appendChild(label);
    p.spans.forEach(function (s) {
      // With several CPUs a running bar takes its CPU's colour, as in the SVG timeline.
      var cls = "span state-" + s[2] + (byCpu && s[3] !== null ? " cpu-" + (s[3] % 8) : "");
      var rect = svg("rect", { "class": cls, x: x(s[0]), y: rowY(r) + (ROW - BAR) / 2,
        width: Math.max(0.5, x(s[1]) - x(s[0])), height: BAR });
      var tip = svg("title", {});
      tip.textContent = p.label + ": " + s[2] + (s[3] === null ? "" : " on cpu" + s[3]) +
        ", ticks " + s[0] + "–" + s[1];
      rect.appendChild(tip);
      chart.appendChild(rect);
    });
  });
  var arrows = [];
  data.messages.forEach(function (m) {
    if (m.received === null || m.from === null) return;
    var y1 = rowY(m.from) + ROW / 2, y2 = rowY(m.received[1]) + ROW / 2;
    var line = svg("line", { "class": "msg", x1: x(m.sent), y1: y1, x2: x(m.received[0]),
      y2: y2 === y1 ? y1 + 0.01 : y2, "marker-end": "url(#arrowhead)" });
    var tip = svg("title", {});
    tip.textContent = "message " + m.id + " from " + m.from_label + ", " + m.len + " B" +
      (m.call ? ", call" : "") + ", sent at tick " + m.sent + ", received at tick " + m.received[0];
    line.appendChild(tip);
    chart.appendChild(line);
    arrows.push({ line: line, received: m.received[0] });
  });
  var axis = svg("g", { "class": "axis" });
  var base = rowY(Math.max(1, data.processes.length));
  axis.appendChild(svg("line", { x1: LEFT, y1: base, x2: LEFT + PLOT, y2: base, stroke: "#555" }));
  // A labelled tick every hundred pixels or so, at a round number of ticks.
  var raw = span * 100 / PLOT, step = 1;
  while (step < raw) step *= step.toString().charAt(0) === "2" ? 2.5 : 2;
  for (var t = 0; t <= span; t += step) {
    axis.appendChild(svg("line", { x1: x(t), y1: base, x2: x(t), y2: base + 4, stroke: "#555" }));
    var lab = svg("text", { x: x(t), y: base + 16, "text-anchor": "middle" });
    lab.textContent = String(Math.round(t));
    axis.appendChild(lab);
  }
  chart.appendChild(axis);
  var cursor = svg("line", { id: "cursor", x1: x(0), y1: TOP, x2: x(0), y2: base });
  chart.appendChild(cursor);
  chart.addEventListener("click", function (ev) {
    var box = chart.getBoundingClientRect();
    var px = (ev.clientX - box.left) * (width / box.width);
    if (px >= LEFT) showTick(Math.round(((px - LEFT) / PLOT) * span));
  });
  var pane = el("div");
  pane.id = "timeline-plot";
  pane.appendChild(chart);
  document.getElementById("timeline").appendChild(labels);
  document.getElementById("timeline").appendChild(pane);
  if (byCpu) {
    var legend = document.getElementById("legend");
    legend.appendChild(document.createTextNode(" · running bars by CPU:"));
    for (var c = 0; c < Math.min(data.cpus, 8); c++) {
      legend.appendChild(el("span", "swatch cpu-" + c));
      legend.appendChild(document.createTextNode("cpu" + c + " "));
    }
  }

  // ----- the moment -----

  var now = { tick: 0, step: 0 };

  function render() {
    var s = stateAt(now.step);
    document.getElementById("now").textContent = "tick " + now.tick + " of " + data.end +
      " · event " + now.step + " of " + steps.length;
    document.getElementById("event-line").textContent =
      now.step > 0 ? steps[now.step - 1][1] : "(before the first event)";
    slider.value = String(now.tick);
    cursor.setAttribute("x1", x(now.tick));
    cursor.setAttribute("x2", x(now.tick));
    // Keep the cursor in view when the timeline is wider than its pane.
    var cx = x(now.tick);
    if (cx < pane.scrollLeft + LEFT || cx > pane.scrollLeft + pane.clientWidth - 20) {
      pane.scrollLeft = Math.max(0, cx - pane.clientWidth / 2);
    }
    arrows.forEach(function (a) {
      a.line.setAttribute("class", a.received <= now.tick ? "msg" : "msg future");
    });
    rows.forEach(function (r, i) {
      var p = s.procs[i];
      var name = p === null ? "unborn" : p.state;
      r.tr.className = "proc state-" + name;
      r.tr.dataset.state = name;
      r.cells.state.textContent = p === null ? "not yet spawned" : p.state;
      r.cells.detail.textContent = p === null ? "" : p.detail;
      r.cells.since.textContent = p === null ? "" : "tick " + p.since;
    });
    boxes.forEach(function (b, i) {
      var e = s.endpoints[i], info = data.endpoints[i];
      b.div.className = "endpoint " + info.kind + (e.live ? "" : " gone");
      b.div.dataset.queued = String(e.queue.length);
      b.owner.textContent = "owner: " + (e.owner === null ? "unknown" : data.processes[e.owner].label);
      var words = [];
      if (!e.live) words.push(e.seen ? "deleted" : "not created yet");
      if (info.capacity !== null) words.push("capacity " + info.capacity);
      if (info.overflow !== null) words.push("when full: " + info.overflow);
      words.push(e.queue.length + " queued");
      b.status.textContent = words.join(", ");
      while (b.queue.firstChild) b.queue.removeChild(b.queue.firstChild);
      e.queue.forEach(function (k) {
        var m = data.messages[k];
        var li = el("li", "msg");
        li.dataset.msg = String(m.id);
        li.appendChild(el("span", "id", "#" + m.id));
        li.appendChild(document.createTextNode(" from "));
        li.appendChild(el("span", "from", m.from_label));
        li.appendChild(document.createTextNode(", " + m.len + " B" + (m.call ? ", call" : "") +
          ", sent at tick " + m.sent));
        b.queue.appendChild(li);
      });
    });
    var list = document.getElementById("console");
    while (list.firstChild) list.removeChild(list.firstChild);
    s.console.forEach(function (c) {
      var li = el("li", "line");
      li.appendChild(el("span", "who", data.processes[c[0]].label + ": "));
      li.appendChild(el("span", "text", c[1]));
      list.appendChild(li);
    });
    document.body.dataset.tick = String(now.tick);
    document.body.dataset.step = String(now.step);
    document.body.dataset.ready = "1";
  }

  function remember() {
    var hash = "#tick=" + now.tick + "&event=" + now.step;
    if (location.hash === hash) return;
    try { history.replaceState(null, "", hash); } catch (e) { /* a file: URL may refuse */ }
  }

  function showTick(t) {
    t = Math.max(0, Math.min(data.end, Math.floor(t)));
    now = { tick: t, step: stepsTo(t) };
    render();
    remember();
  }

  function showStep(k) {
    k = Math.max(0, Math.min(steps.length, k));
    now = { tick: k > 0 ? steps[k - 1][0] : 0, step: k };
    render();
    remember();
  }

  // `#tick=N` shows tick N; `#event=K` the moment after the first K events (with both, the
  // event wins: the page writes both, and the event is the finer of the two).
  function fromHash() {
    var tick = /(?:^#|&)tick=(\d+)/.exec(location.hash);
    var event = /(?:^#|&)event=(\d+)/.exec(location.hash);
    if (event) showStep(parseInt(event[1], 10));
    else if (tick) showTick(parseInt(tick[1], 10));
    else showTick(0);
  }

  slider.addEventListener("input", function () { showTick(parseInt(slider.value, 10)); });
  document.getElementById("prev-tick").addEventListener("click", function () { showTick(now.tick - 1); });
  document.getElementById("next-tick").addEventListener("click", function () { showTick(now.tick + 1); });
  document.getElementById("prev-event").addEventListener("click", function () { showStep(now.step - 1); });
  document.getElementById("next-event").addEventListener("click", function () { showStep(now.step + 1); });
  document.addEventListener("keydown", function (ev) {
    if (ev.target && ev.target.tagName === "INPUT") return;
    if (ev.key === "ArrowRight") showStep(now.step + 1);
    else if (ev.key === "ArrowLeft") showStep(now.step - 1);
  });
  window.addEventListener("hashchange", fromHash);
  // `press=next-event,prev-tick,...` in the address presses those buttons in turn once the
  // page is shown: a link to a moment reached by steps, and how a headless browser drives
  // the buttons in the tests. (Read before the page rewrites the address.)
  var press = /(?:^#|&)press=([a-z,-]+)/.exec(location.hash);
  fromHash();
  if (press) {
    press[1].split(",").forEach(function (id) {
      var button = document.getElementById(id);
      if (button && button.tagName === "BUTTON") button.click();
    });
  }
})();
