// Live pages, after the server's out-of-band swaps (no inline scripts: CSP forbids them).

// Toasts fade out by CSS animation; take each out of the page once it has.
document.addEventListener("animationend", function (event) {
  if (event.target.classList && event.target.classList.contains("toast")) {
    event.target.remove();
  }
});

// A live table body is the same for every viewer. Keep the viewer's own teams marked in it,
// and bring the "Your teams" list up to date from the new rows it can see.
document.addEventListener("htmx:oobBeforeSwap", function (event) {
  var target = event.detail.target;
  var fragment = event.detail.fragment;
  if (!target || !fragment || !target.id || target.id.indexOf("lb-body-") !== 0) {
    return;
  }
  var mine = {};
  target.querySelectorAll("tr.mine").forEach(function (row) { mine[row.id] = true; });
  var items = document.querySelectorAll(".mine-list li");
  items.forEach(function (item) {
    var link = item.querySelector("a[href^='/teams/']");
    if (link) { mine["lb-row-" + link.getAttribute("href").split("/")[2]] = true; }
  });
  fragment.querySelectorAll("tr[id^='lb-row-']").forEach(function (row) {
    if (mine[row.id]) { row.classList.add("mine"); }
  });
  items.forEach(function (item) {
    var link = item.querySelector("a[href^='/teams/']");
    var row = link && fragment.querySelector("#lb-row-" + link.getAttribute("href").split("/")[2]);
    var cells = row ? row.querySelectorAll("td") : [];
    if (cells.length < 5) { return; }
    var rank = document.createElement("strong");
    rank.textContent = "#" + cells[0].textContent;
    var move = cells[1].querySelector(".move-up, .move-down");
    item.replaceChildren(rank, " ", link, " · " + cells[4].textContent + " pts");
    if (move) { item.append(" ", move.cloneNode(true)); }
  });
});

// Deadline countdowns tick in the browser against the real time of the lock the page gave
// (on a replay it is minutes away even though the season's lock date is long past).
function tickCountdowns() {
  document.querySelectorAll(".countdown[data-until]").forEach(function (element) {
    var left = Math.floor((Date.parse(element.dataset.until) - Date.now()) / 1000);
    if (isNaN(left)) { return; }
    if (left <= 0) {
      element.textContent = "(locked)";
      return;
    }
    var days = Math.floor(left / 86400);
    var hours = Math.floor((left % 86400) / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    var text = "(in " + days + " d " + hours + " h " + minutes + " min";
    // The last hour counts seconds too.
    text += left < 3600 ? " " + (left % 60) + " s)" : ")";
    element.textContent = text;
  });
}
// The replay banner counts down in minutes and seconds (4:32), past an hour with hours too.
function tickReplayClocks() {
  document.querySelectorAll(".countdown-clock[data-until]").forEach(function (element) {
    var left = Math.floor((Date.parse(element.dataset.until) - Date.now()) / 1000);
    if (isNaN(left)) { return; }
    if (left <= 0) {
      element.textContent = "0:00";
      return;
    }
    var hours = Math.floor(left / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    var seconds = ("0" + (left % 60)).slice(-2);
    element.textContent = hours ? hours + ":" + ("0" + minutes).slice(-2) + ":" + seconds
      : minutes + ":" + seconds;
  });
}
document.addEventListener("DOMContentLoaded", tickReplayClocks);
document.addEventListener("htmx:afterSettle", tickReplayClocks);
setInterval(tickReplayClocks, 1000);
document.addEventListener("DOMContentLoaded", tickCountdowns);
document.addEventListener("htmx:afterSettle", tickCountdowns);
setInterval(tickCountdowns, 1000);
