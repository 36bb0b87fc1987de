/* On every page, a few lines: when the page is /trace/ (it holds #netstack-trace), load its script
 * (../trace/trace.js, which loads Pyodide). Material's instant navigation swaps pages without
 * reloading them, so this follows its document$ stream when there is one. */
(function () {
  "use strict";
  var loading = null;
  function start() {
    var root = document.getElementById("netstack-trace");
    if (!root) return;
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = new URL("trace.js", new URL(root.dataset.base || "./", location.href)).href;
        s.onload = resolve;
        s.onerror = reject;
        document.head.appendChild(s);
      });
    }
    loading.then(function () { window.netstackTrace.init(root); });
  }
  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(start);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
