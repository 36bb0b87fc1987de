/* Identifier search inside Material's search box (netstack_docs/render/idindex.py writes the index).
 *
 * What an engineer types (an address, a MAC, a port, an interface or pod name, a set name, a rule
 * comment, a qdisc handle, a BPF program) is looked up in the identifier index: the manifest on the
 * first search, then only the shard the query's prefix falls in. Matches are listed above Material's
 * own results, each opening the component on its layer page at its anchor. Every string from the
 * index is host data: it becomes text nodes, never markup. */
(function () {
  "use strict";
  var script = document.currentScript;
  var root = new URL("../../", script ? script.src : location.href); // assets/netstack/ -> site root
  var DIR = "assets/netstack-ids/";
  var MIN = 2; // shorter queries are left to Material
  var BUDGET = 400000; // bytes of shards a query shorter than the shards' prefixes may load
  var SHOWN = 40; // results listed
  var manifest = null;
  var files = {};
  var latest = 0;

  function normalise(text) {
    return text.trim().split(/\s+/).join(" ").toLowerCase().slice(0, 80);
  }

  function load(path) {
    if (!files[path]) {
      files[path] = fetch(new URL(DIR + path, root)).then(function (r) {
        if (!r.ok) throw new Error(path + ": HTTP " + r.status);
        return r.json();
      });
    }
    return files[path];
  }

  /* The shards a query needs: the one whose prefix it starts with, else those starting with it. */
  function shardsFor(q) {
    var found = manifest.shards.filter(function (s) { return !s[2] && q.indexOf(s[0]) === 0; });
    if (found.length) return { shards: found, partial: false };
    var under = manifest.shards.filter(function (s) { return s[0].indexOf(q) === 0; });
    var bytes = under.reduce(function (n, s) { return n + s[3]; }, 0);
    if (bytes <= BUDGET) return { shards: under, partial: false };
    return { shards: under.filter(function (s) { return s[2] && s[0] === q; }), partial: true };
  }

  function matches(shard, q) {
    var t = shard.t, lo = 0, hi = t.length, out = [];
    while (lo < hi) { var mid = (lo + hi) >> 1; if (t[mid][0] < q) lo = mid + 1; else hi = mid; }
    for (var i = lo; i < t.length && t[i][0].indexOf(q) === 0; i++) {
      for (var j = 0; j < t[i][1].length; j++) {
        var r = shard.r[t[i][1][j]]; // anchor, label and namespace label are indexes into shard.s
        out.push({ token: t[i][0], ref: [r[0], r[1], shard.s[r[2]], shard.s[r[3]], r[4], shard.s[r[5]]] });
      }
    }
    return out;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function box() {
    var wrap = document.querySelector(".md-search__scrollwrap");
    if (!wrap) return null;
    var div = wrap.querySelector(".netstack-ids");
    if (!div) {
      div = el("div", "netstack-ids md-search-result");
      div.setAttribute("data-netstack-ids", "");
      wrap.insertBefore(div, wrap.firstChild);
    }
    return div;
  }

  function close() {
    var toggle = document.getElementById("__search");
    if (toggle && toggle.checked) {
      toggle.checked = false;
      toggle.dispatchEvent(new Event("change"));
    }
  }

  function show(q, hits, partial) {
    var div = box();
    if (!div) return;
    div.textContent = "";
    if (!hits.length && !partial) { div.hidden = true; return; }
    div.hidden = false;
    var seen = {}, unique = [];
    /* the identifier itself first, then longer ones it starts; a component named after it before one
       that only mentions it (the set before the rule using it); then the shorter name */
    function rank(h) {
      return (h.token === q ? 0 : 2) + (h.ref[3].toLowerCase().indexOf(q) >= 0 ? 0 : 1);
    }
    hits.sort(function (a, b) {
      return rank(a) - rank(b) || a.token.length - b.token.length || a.ref[3].length - b.ref[3].length ||
        (a.token < b.token ? -1 : a.token > b.token ? 1 : 0);
    });
    hits.forEach(function (h) {
      var key = h.ref[0] + "/" + h.ref[1] + "#" + h.ref[2];
      if (!seen[key]) { seen[key] = 1; unique.push(h); }
    });
    var hosts = {};
    unique.forEach(function (h) { hosts[h.ref[0]] = 1; });
    var nhosts = Object.keys(hosts).length;
    var meta = unique.length + " component" + (unique.length === 1 ? "" : "s") + " on " + nhosts + " host" +
      (nhosts === 1 ? "" : "s") + " by identifier";
    if (partial) meta = "Identifiers: keep typing to narrow down (" + unique.length + " exact match" +
      (unique.length === 1 ? "" : "es") + " so far)";
    div.appendChild(el("div", "md-search-result__meta netstack-ids__meta", meta));
    var list = el("ol", "md-search-result__list netstack-ids__list");
    unique.slice(0, SHOWN).forEach(function (h) {
      var ref = h.ref, host = manifest.hosts[ref[0]], layer = manifest.layers[ref[1]];
      var a = el("a", "md-search-result__link netstack-ids__link");
      a.href = new URL(host[0] + "/" + host[1] + "/" + layer[0] + "/#" + ref[2], root).href;
      a.setAttribute("data-anchor", ref[2]);
      a.addEventListener("click", close);
      var article = el("article", "md-search-result__article md-typeset");
      article.appendChild(el("h1", "netstack-ids__title", ref[3] + (ref[5] ? " in " + ref[5] : "")));
      var where = manifest.kinds[ref[4]] + " · " + host[0] + "/" + host[2] + " · " + layer[1];
      article.appendChild(el("p", "netstack-ids__where", where + (h.token !== q ? " · " + h.token : "")));
      a.appendChild(article);
      var li = el("li", "md-search-result__item");
      li.appendChild(a);
      list.appendChild(li);
    });
    if (unique.length > SHOWN) {
      list.appendChild(el("li", "md-search-result__item netstack-ids__more", "and " + (unique.length - SHOWN) + " more"));
    }
    div.appendChild(list);
  }

  function search(text) {
    var q = normalise(text), ticket = ++latest;
    if (q.length < MIN) { show(q, [], false); return; }
    (manifest ? Promise.resolve(manifest) : load("manifest.json")).then(function (m) {
      manifest = m;
      var need = shardsFor(q);
      return Promise.all(need.shards.map(function (s) { return load(s[1] + ".json"); })).then(function (shards) {
        if (ticket !== latest) return;
        var hits = [];
        shards.forEach(function (shard) { hits = hits.concat(matches(shard, q)); });
        show(q, hits, need.partial);
      });
    }).catch(function (err) {
      if (window.console) console.warn("netstack-docs identifier search:", err);
    });
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("md-search__input")) search(target.value);
  });
})();
