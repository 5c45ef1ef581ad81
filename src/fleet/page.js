(function () {
  var table = document.getElementById("fleet");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function value(row, col) {
    var cell = row.querySelector('[data-col="' + col + '"]');
    return cell && cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : null;
  }
  function sort(col, dir) {
    var numeric = heads[col].getAttribute("data-type") === "num";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, col), y = value(b, col);
      if (x === null || y === null) return x === y ? 0 : (x === null ? 1 : -1);
      return dir * (numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y));
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < heads.length; i++) {
      heads[i].setAttribute("aria-sort", i === col ? (dir > 0 ? "ascending" : "descending") : "none");
    }
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    th.querySelector("button").addEventListener("click", function () {
      var now = th.getAttribute("aria-sort");
      var numeric = th.getAttribute("data-type") === "num";
      sort(i, now === "ascending" ? -1 : now === "descending" ? 1 : (numeric ? -1 : 1));
    });
  });
  var m = /^#sort=(-?)(\d+)$/.exec(location.hash);
  if (m && +m[2] < heads.length) sort(+m[2], m[1] ? -1 : 1);
  document.documentElement.setAttribute("data-sortable", "yes");
})();
