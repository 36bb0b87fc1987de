/* The /trace/ page: the form, Pyodide, and netstack_docs.browser.flow (netstack_docs/browser/).
 * Loaded by assets/netstack/trace-loader.js only when the page is open. Everything shown from a
 * snapshot or a result is untrusted: it goes in as text (textContent), never as HTML. */
(function () {
  "use strict";
  var OPTIONS = ["in", "from-local", "netns", "src", "dst", "proto", "sport", "dport", "state", "mark",
    "len", "ttl", "dscp", "tcp-flags", "assume"];
  var state = { base: null, fleet: null, pyodide: null, envs: {}, snapshots: {}, texts: {} };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function fetchOk(url, how) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return how === "buffer" ? r.arrayBuffer() : how === "json" ? r.json() : r.text();
    });
  }

  function snapshotUrl(env, host) {
    return new URL("../" + encodeURIComponent(env) + "/" + encodeURIComponent(host) + "/snapshot.json", state.base).href;
  }

  function snapshot(env, host) {
    var key = env + "/" + host;
    if (!state.snapshots[key]) {
      state.snapshots[key] = fetchOk(snapshotUrl(env, host), "text").then(function (text) {
        state.texts[key] = text;
        return text;
      });
    }
    return state.snapshots[key];
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    });
  }

  /* Pyodide from this site, then the trace package (netstack_trace.zip) into its file system. */
  function python() {
    if (state.pyodide) return state.pyodide;
    var index = new URL("pyodide/", state.base).href;
    state.pyodide = (window.loadPyodide ? Promise.resolve() : loadScript(index + "pyodide.js"))
      .then(function () { return window.loadPyodide({ indexURL: index, fullStdLib: false }); })
      .then(function (py) {
        return fetchOk(new URL("netstack_trace.zip", state.base).href, "buffer").then(function (zip) {
          py.unpackArchive(zip, "zip", { extractDir: "/netstack" });
          py.runPython("import sys\nsys.path.insert(0, '/netstack')\nimport netstack_docs.browser.flow");
          return py;
        });
      });
    return state.pyodide;
  }

  /* A host's snapshot.json text, synchronously: Python asks for it in the middle of a walk (the start
   * host, then each host a VXLAN hop reaches). The start host is usually in the browser's cache. */
  function snapshotNow(env, slug) {
    if (state.texts[env + "/" + slug] !== undefined) return state.texts[env + "/" + slug];
    var xhr = new XMLHttpRequest();
    xhr.open("GET", snapshotUrl(env, slug), false);
    xhr.send();
    if (xhr.status !== 200) throw new Error(snapshotUrl(env, slug) + ": HTTP " + xhr.status);
    state.texts[env + "/" + slug] = xhr.responseText;
    return xhr.responseText;
  }

  /* The environment's hosts and which host holds each address, handed to Python once. */
  function environment(env) {
    if (state.envs[env]) return state.envs[env];
    state.envs[env] = Promise.all([python(), fetchOk(new URL("env-" + env + ".json", state.base).href, "text")])
      .then(function (both) {
        var py = both[0], detail = JSON.parse(both[1]);
        var load = py.pyimport("netstack_docs.browser.flow").load_environment;
        var slugs = py.toPy(detail.hosts), assume = py.toPy(state.fleet.assume);
        var owners = JSON.stringify(detail.owners);
        try {
          load(env, slugs, owners, function (slug) { return snapshotNow(env, slug); }, assume);
        } finally { slugs.destroy(); assume.destroy(); load.destroy(); }
        return py;
      });
    return state.envs[env];
  }

  function formOptions(form) {
    var out = {};
    OPTIONS.forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      if (name === "from-local") out[name] = field.checked ? "1" : "";
      else if (name === "assume") out[name] = field.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
      else out[name] = field.value.trim();
    });
    return out;
  }

  function setOptions(form, params) {
    OPTIONS.forEach(function (name) {
      var field = form.elements[name];
      if (!field || !params.has(name)) return;
      if (name === "from-local") field.checked = ["1", "true", "on", "yes"].indexOf(params.get(name)) >= 0;
      else if (name === "assume") field.value = params.getAll(name).join("\n");
      else field.value = params.get(name);
    });
  }

  function query(form) {
    var p = new URLSearchParams();
    p.set("env", form.elements.env.value);
    p.set("host", form.elements.host.value);
    var o = formOptions(form);
    OPTIONS.forEach(function (name) {
      if (name === "assume") o.assume.forEach(function (a) { p.append("assume", a); });
      else if (o[name]) p.set(name, o[name]);
    });
    return p;
  }

  function fillHosts(form, wanted) {
    var env = form.elements.env.value, select = form.elements.host;
    select.textContent = "";
    (state.fleet.environments[env] || []).forEach(function (h) { select.appendChild(el("option", h)); });
    if (wanted && (state.fleet.environments[env] || []).indexOf(wanted) >= 0) select.value = wanted;
    return fillHostChoices(form);
  }

  /* Namespaces and interfaces of the chosen host, as suggestions for --netns and --in. */
  function fillHostChoices(form) {
    var env = form.elements.env.value, host = form.elements.host.value;
    if (!env || !host) return Promise.resolve();
    return snapshot(env, host).then(function (text) {
      var doc = JSON.parse(text), wantedNs = form.elements.netns.value || "root";
      var nsList = document.getElementById("netstack-trace-netns"), links = document.getElementById("netstack-trace-links");
      nsList.textContent = ""; links.textContent = "";
      (doc.namespaces || []).forEach(function (ns) {
        var o = el("option"); o.value = ns.id; o.label = ns.name || ns.kind; nsList.appendChild(o);
        if (ns.id === wantedNs || ns.name === wantedNs || (wantedNs === "root" && ns.kind === "root")) {
          (ns.links || []).forEach(function (l) { var li = el("option"); li.value = l.ifname; links.appendChild(li); });
        }
      });
    }).catch(function () { /* suggestions only: the trace names what exists when a name is wrong */ });
  }

  function stepList(steps) {
    var ol = el("ol", null, "netstack-trace__steps");
    steps.forEach(function (s) {
      var li = el("li", null, s.undetermined ? "netstack-trace__step netstack-trace__step--undetermined" : "netstack-trace__step");
      if (s.undetermined) li.appendChild(el("strong", "not evaluable: "));
      li.appendChild(el("em", s.layer));
      li.appendChild(document.createTextNode(" " + s.host + ":" + s.netns + ": " + s.what));
      if (s.url) {
        var a = el("a", "component");
        a.href = new URL("../" + s.url, state.base).href;
        li.appendChild(document.createTextNode(" ("));
        li.appendChild(a);
        li.appendChild(document.createTextNode(")"));
      }
      ol.appendChild(li);
    });
    return ol;
  }

  function finalText(f) {
    var ports = f.dport !== null && f.dport !== undefined ? " " + f.sport + "->" + f.dport : "";
    return f.host + ":" + f.netns + " " + (f.socket || f.ifname || "-") + "; " + f.src + " -> " + f.dst + ports;
  }

  function list(title, items) {
    var box = el("div");
    box.appendChild(el("p", title));
    var ul = el("ul");
    items.forEach(function (t) { ul.appendChild(el("li", t)); });
    box.appendChild(ul);
    return box;
  }

  function show(out, data) {
    out.textContent = "";
    var r = data.result;
    var verdict = el("p", null, "netstack-trace__verdict netstack-trace__verdict--" + r.verdict);
    verdict.appendChild(el("strong", "Verdict: " + r.verdict));
    if (r.ends) verdict.appendChild(document.createTextNode(" to one of: " + r.ends.map(finalText).join(" | ")));
    else verdict.appendChild(document.createTextNode(" (" + finalText(r.final) + ")"));
    verdict.dataset.verdict = r.verdict;
    out.appendChild(verdict);
    out.appendChild(stepList(r.steps));
    var fields = Object.keys(r.packet).filter(function (k) { return ["src", "dst", "proto"].indexOf(k) < 0; })
      .map(function (k) { return k + " " + r.packet[k]; });
    out.appendChild(el("p", "Packet fields: " + fields.join(", ")));
    if (r.assumptions.length) out.appendChild(list("Stated assumptions this verdict rests on (--assume, extra.netstack.assume):", r.assumptions));
    if (r.unknowns.length) {
      out.appendChild(list("What the snapshot cannot decide, walked every way:", r.unknowns.map(function (u) {
        if (u.did_not_matter) return "did not matter: " + u.what + " [" + u.key + "]";
        return "undetermined by: " + u.what + " [" + u.key + "] -> " + (u.splits || []).map(function (s) { return s.outcome + ": " + s.ends; }).join("; ");
      })));
    }
    (r.notes || []).forEach(function (n) { out.appendChild(el("p", "Note: " + n)); });
    (r.alternatives || []).forEach(function (a, i) {
      var when = a.condition.map(function (c) { return c.unknown + "=" + c.outcome; }).join(", ") || "(no unknown met)";
      var d = el("details", null, "note netstack-trace__alternative");
      d.appendChild(el("summary", "Alternative " + (i + 1) + ": " + a.verdict + " (" + finalText(a.final) + ") when " + when));
      d.appendChild(stepList(a.steps));
      out.appendChild(d);
    });
    var raw = el("details", null, "netstack-trace__json");
    raw.appendChild(el("summary", "As JSON (netstack-docs trace --json)"));
    var pre = el("pre");
    pre.id = "netstack-trace-json";
    pre.textContent = JSON.stringify(r, null, 2);
    raw.appendChild(pre);
    out.appendChild(raw);
  }

  function run(form, status, out) {
    var env = form.elements.env.value, host = form.elements.host.value;
    var options = JSON.stringify(formOptions(form));
    status.textContent = state.pyodide ? "Tracing…" : "Loading the trace (Python in your browser)…";
    out.dataset.state = "running";
    return Promise.all([environment(env), snapshot(env, host).catch(function () { return null; })]).then(function (both) {
      var py = both[0];
      var call = py.pyimport("netstack_docs.browser.flow").browser_trace;
      var text;
      try { text = call(env, host, options); } finally { call.destroy(); }
      var data = JSON.parse(text);
      if (data.error) {
        out.textContent = "";
        out.appendChild(el("p", data.error, "netstack-trace__error"));
        status.textContent = "The trace cannot run:";
      } else {
        show(out, data);
        status.textContent = "Traced " + env + "/" + host + " on this version's snapshots.";
      }
      out.dataset.state = data.error ? "error" : "done";
    }).catch(function (err) {
      status.textContent = "The trace failed to load: " + err;
      out.dataset.state = "failed";
    }).then(function () {
      out.dataset.runs = String(Number(out.dataset.runs || 0) + 1);  // traces answered on this page
    });
  }

  function init(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    state.base = new URL(root.dataset.base || "./", location.href).href;
    var form = root.querySelector("form"), status = root.querySelector("#netstack-trace-status");
    var out = root.querySelector("#netstack-trace-result");
    var params = new URLSearchParams(location.search || location.hash.replace(/^#/, ""));
    status.textContent = "Loading the list of hosts…";
    fetchOk(new URL("fleet.json", state.base).href, "json").then(function (fleet) {
      state.fleet = fleet;
      var envSelect = form.elements.env;
      Object.keys(fleet.environments).forEach(function (e) { envSelect.appendChild(el("option", e)); });
      if (params.get("env") && fleet.environments[params.get("env")]) envSelect.value = params.get("env");
      setOptions(form, params);
      root.querySelector(".netstack-trace__defaults").textContent = fleet.assume.length
        ? "This site states for every trace (extra.netstack.assume): " + fleet.assume.join(", ") : "";
      envSelect.addEventListener("change", function () { fillHosts(form); });
      form.elements.host.addEventListener("change", function () { fillHostChoices(form); });
      form.elements.netns.addEventListener("change", function () { fillHostChoices(form); });
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        history.replaceState(null, "", "?" + query(form).toString());
        run(form, status, out);
      });
      return fillHosts(form, params.get("host"));
    }).then(function () {
      python();  // start loading the runtime while the reader types
      if (params.get("src") && params.get("dst")) return run(form, status, out);
      status.textContent = "Describe a packet and press Trace.";
    }).catch(function (err) {
      status.textContent = "The trace failed to load: " + err;
      out.dataset.state = "failed";
    });
  }

  window.netstackTrace = { init: init };
})();
