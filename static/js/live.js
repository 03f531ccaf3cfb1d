// Toasts fade out by CSS animation; take each out of the page once it has.
document.addEventListener("animationend", function (event) {
  if (event.target.classList && event.target.classList.contains("toast")) {
    event.target.remove();
  }
});
