// Paddock on a phone: register the service worker, turn push on or off for this device,
// and replace an offline copy with the live page once the network is back.
(function () {
  "use strict";
  var hasWorker = "serviceWorker" in navigator;

  if (hasWorker) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function (error) {
      console.warn("Paddock: the service worker did not register", error);
    });
  }

  // A page served from the offline copy says so; back online, the live page replaces it
  // (and with it the live updates, whose socket reconnects on load).
  // The "online" event can come before the network answers: ask /health first, a few times.
  function backOnline(tries) {
    if (!document.getElementById("offline-note")) { return; }
    fetch("/health", {cache: "no-store"}).then(function (response) {
      if (!response.ok) { throw new Error("not yet"); }
      window.location.reload();
    }).catch(function () {
      if (tries < 15) { setTimeout(function () { backOnline(tries + 1); }, 2000); }
    });
  }
  window.addEventListener("online", function () { backOnline(0); });

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (error) {
      return "";
    }
  }

  function api(method, path, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken()}
    };
    if (body !== undefined) { options.body = JSON.stringify(body); }
    return fetch(path, options).then(function (response) {
      if (!response.ok && response.status !== 404) {
        throw new Error("Paddock answered " + response.status);
      }
      return response.status === 204 || response.status === 404 ? null : response.json();
    });
  }

  function serverKey(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function show(box, subscribed, message) {
    box.querySelector("#push-on").hidden = subscribed;
    box.querySelector("#push-off").hidden = !subscribed;
    box.querySelector("#push-status").textContent = message || (subscribed
      ? "Push is on for this device." : "Push is off for this device.");
  }

  function setUp() {
    var box = document.getElementById("push-device");
    if (!box || box.dataset.ready || !hasWorker || !("PushManager" in window)) { return; }
    box.dataset.ready = "1";
    box.hidden = false;
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) { show(box, !!subscription); });

    box.querySelector("#push-on").addEventListener("click", function () {
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          throw new Error("Notifications are blocked for this site in the browser's settings.");
        }
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: serverKey(box.dataset.key)
        });
      }).then(function (subscription) {
        return api("POST", "/api/v1/push/subscriptions", subscription.toJSON());
      }).then(function () {
        show(box, true);
      }).catch(function (error) {
        show(box, false, error.message);
      });
    });

    box.querySelector("#push-off").addEventListener("click", function () {
      navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription();
      }).then(function (subscription) {
        if (!subscription) { return null; }
        return api("GET", "/api/v1/push/subscriptions").then(function (list) {
          var mine = (list && list.items || []).filter(function (item) {
            return item.endpoint === subscription.endpoint;
          });
          return Promise.all(mine.map(function (item) {
            return api("DELETE", "/api/v1/push/subscriptions/" + item.id);
          }));
        }).then(function () { return subscription.unsubscribe(); });
      }).then(function () {
        show(box, false);
      }).catch(function (error) {
        show(box, true, error.message);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", setUp);
  document.addEventListener("htmx:afterSettle", setUp);
})();
