// Appended to a COPY of a custody report by t-report.sh (the report
// itself has no script): measures the page as Chromium laid it out and
// writes what it found as JSON into a pre element with id result, which the test
// reads from --dump-dom.
(function () {
  var out = { width: window.innerWidth, cut: [], wide: [], hidden: [],
    text: "" };
  var root = document.documentElement;
  if (root.scrollWidth > root.clientWidth)
    out.wide.push("the page scrolls sideways: " + root.scrollWidth +
      " > " + root.clientWidth);
  var cells = document.querySelectorAll("td, th, dd, dt, li, p, h1, h2");
  for (var i = 0; i < cells.length; i++) {
    var c = cells[i];
    if (c.offsetParent === null && getComputedStyle(c).display === "none")
      continue;
    if (c.scrollWidth > c.clientWidth + 1)
      out.cut.push(c.tagName + " '" + c.textContent.slice(0, 40) + "': " +
        c.scrollWidth + " > " + c.clientWidth);
    var r = c.getBoundingClientRect();
    if (r.right > root.clientWidth + 1 || r.left < -1)
      out.wide.push(c.tagName + " '" + c.textContent.slice(0, 40) +
        "' spans " + Math.round(r.left) + ".." + Math.round(r.right));
  }
  var tables = document.querySelectorAll("table");
  for (var t = 0; t < tables.length; t++) {
    var tr = tables[t].getBoundingClientRect();
    if (tr.right > root.clientWidth + 1)
      out.wide.push("table." + tables[t].className + " ends at " +
        Math.round(tr.right) + " of " + root.clientWidth);
    if (tr.width === 0 || tr.height === 0)
      out.hidden.push("table." + tables[t].className);
  }
  out.text = document.body.innerText;
  // in a frame (Chromium's window is at least 500 px wide, so t-report.sh
  // frames narrower pages), the framing page writes it
  if (window.parent !== window) {
    window.parent.postMessage(JSON.stringify(out), "*");
    return;
  }
  var pre = document.createElement("pre");
  pre.id = "result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
