// Paddock's service worker: an offline copy of each leaderboard, league and team page last
// seen, hashed static files from the cache, and Web Push notifications.
"use strict";

var PAGES = "paddock-pages-v1";
var FILES = "paddock-files-v1";
var SAVED_AT = "X-Paddock-Saved-At";
// The pages kept for offline reading: boards and teams, what a fan checks on the go.
var KEPT = [/^\/leaderboard\/?$/, /^\/leagues\/\d+\/?$/, /^\/teams\/\d+\/?$/];

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name !== PAGES && name !== FILES;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isKept(url) {
  return KEPT.some(function (pattern) { return pattern.test(url.pathname); });
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

// "3 Dec 2026, 10:15 UTC": the page's own way of writing times.
function utcText(iso) {
  var when = new Date(iso);
  if (isNaN(when.getTime())) { return "an earlier visit"; }
  var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return when.getUTCDate() + " " + months[when.getUTCMonth()] + " " + when.getUTCFullYear() +
    ", " + pad(when.getUTCHours()) + ":" + pad(when.getUTCMinutes()) + " UTC";
}

function withOfflineNote(html, savedAt) {
  var note = '<p class="offline-note" id="offline-note" role="status" data-saved-at="' +
    savedAt + '">Offline, last updated at ' + utcText(savedAt) +
    ". This page refreshes when you are back online.</p>";
  var marker = '<main id="main">';
  var at = html.indexOf(marker);
  return at < 0 ? note + html : html.slice(0, at + marker.length) + note + html.slice(at + marker.length);
}

function notSaved() {
  var body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>Offline · Paddock</title></head><body><main id=\"main\">" +
    "<h1>You are offline</h1><p>This page has not been opened on this device yet, so " +
    "there is no copy of it to show. Leaderboards and team pages you have seen open offline.</p>" +
    "</main></body></html>";
  return new Response(body, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

// Network first: a fresh page is kept as the offline copy; without a network, the copy
// is served with a note saying when it was saved.
function networkFirst(request) {
  var key = request.url;
  return fetch(request).then(function (response) {
    var type = response.headers.get("Content-Type") || "";
    if (!response.ok || response.redirected || type.indexOf("text/html") !== 0) {
      return response;
    }
    // Saved before the page is answered, so an offline reload right after finds it.
    return response.clone().text().then(function (body) {
      var headers = new Headers({"Content-Type": type});
      headers.set(SAVED_AT, new Date().toISOString());
      return caches.open(PAGES).then(function (cache) {
        return cache.put(key, new Response(body, {status: 200, headers: headers}));
      });
    }).then(function () { return response; }, function () { return response; });
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(key, {ignoreVary: true});
    }).then(function (saved) {
      if (!saved) { return notSaved(); }
      var savedAt = saved.headers.get(SAVED_AT) || "";
      return saved.text().then(function (body) {
        return new Response(withOfflineNote(body, savedAt), {
          status: 200,
          headers: {"Content-Type": "text/html; charset=utf-8"}
        });
      });
    });
  });
}

// Hashed static files never change: the cache answers, the network fills it once.
function cacheFirst(request) {
  return caches.open(FILES).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) { return hit; }
      return fetch(request).then(function (response) {
        var control = response.headers.get("Cache-Control") || "";
        if (response.ok && control.indexOf("immutable") >= 0) {
          cache.put(request, response.clone());
        }
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") {
    // Signing out forgets the pages this browser kept for the signed-in player.
    if (url.pathname === "/logout") { event.waitUntil(caches.delete(PAGES)); }
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
    return;
  }
  // Whole pages only: a browser navigation or an htmx-boosted one, never a fragment.
  var whole = request.mode === "navigate" || request.headers.get("HX-Boosted") === "true";
  if (isKept(url) && whole) {
    event.respondWith(networkFirst(request));
  }
});

self.addEventListener("push", function (event) {
  var message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = {body: event.data ? event.data.text() : ""};
  }
  event.waitUntil(self.registration.showNotification(message.title || "Paddock", {
    body: message.body || "",
    tag: message.tag,
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
    data: {url: message.url || "/notifications"}
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/notifications",
    self.location.origin).href;
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (open) {
    for (var i = 0; i < open.length; i++) {
      if (open[i].url.indexOf(self.location.origin) === 0 && "focus" in open[i]) {
        return open[i].navigate(target).then(function (client) { return client && client.focus(); });
      }
    }
    return self.clients.openWindow(target);
  }));
});
