/* Délibre guided tours (guide app). No framework, no inline script (the CSP forbids it).
 *
 * A button with data-tour-start / data-tour-url (in the "Aide" menu, or the first-login
 * invitation) fetches the role's tour from the server: a list of steps {path, selector, title,
 * text}. The tour's state lives in sessionStorage so that it goes on from page to page: on each
 * page, the step whose path is this page is shown in a panel and its element outlined. Finishing
 * or leaving a tour marks it as seen (POST to the URL of #guide-tour), so it no longer offers
 * itself at login.
 */
(function () {
  "use strict";

  var KEY = "delibre.tour";

  function load() {
    try {
      return JSON.parse(window.sessionStorage.getItem(KEY) || "null");
    } catch (e) {
      return null;
    }
  }

  function save(state) {
    window.sessionStorage.setItem(KEY, JSON.stringify(state));
  }

  function clear() {
    window.sessionStorage.removeItem(KEY);
  }

  function anchor() {
    return document.getElementById("guide-tour");
  }

  function markSeen(role) {
    var root = anchor();
    if (!root) return Promise.resolve();
    var body = new URLSearchParams();
    body.set("role", role || "");
    return window.fetch(root.dataset.seenUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": root.dataset.csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).catch(function () { /* the tour is only offered again at the next login */ });
  }

  function element(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function removePanel() {
    var panel = document.getElementById("tour-panel");
    if (panel) panel.remove();
    document.querySelectorAll(".tour-target").forEach(function (node) {
      node.classList.remove("tour-target");
    });
  }

  function goTo(state, index) {
    state.index = index;
    save(state);
    var step = state.steps[index];
    if (step.path !== window.location.pathname) {
      window.location.assign(step.path);
    } else {
      show(state);
    }
  }

  function finish(state) {
    clear();
    removePanel();
    markSeen(state.role);
  }

  function button(label, className, action) {
    var node = element("button", { type: "button", "class": className }, label);
    node.addEventListener("click", action);
    return node;
  }

  function show(state) {
    removePanel();
    var step = state.steps[state.index];
    var here = step.path === window.location.pathname;
    var panel = element("section", {
      id: "tour-panel", "class": "tour-panel", role: "dialog", "aria-live": "polite",
      "aria-labelledby": "tour-panel-title", lang: "fr", "data-step": String(state.index)
    });
    panel.appendChild(element("div", { "class": "tour-panel__count" },
      state.title + " — étape " + (state.index + 1) + " sur " + state.steps.length));
    panel.appendChild(element("h2", { id: "tour-panel-title" }, step.title));
    panel.appendChild(element("p", {}, here ? step.text : "La visite continue sur un autre écran."));
    var actions = element("div", { "class": "actions" });
    actions.appendChild(button("Quitter la visite", "button--link button--small", function () { finish(state); }));
    if (!here) {
      actions.appendChild(button("Reprendre", "button button--small", function () { goTo(state, state.index); }));
    } else {
      if (state.index > 0) {
        actions.appendChild(button("Précédent", "button--secondary button--small", function () { goTo(state, state.index - 1); }));
      }
      if (state.index < state.steps.length - 1) {
        actions.appendChild(button("Suivant", "button button--small tour-next", function () { goTo(state, state.index + 1); }));
      } else {
        actions.appendChild(button("Terminer", "button button--small tour-next", function () { finish(state); }));
      }
    }
    panel.appendChild(actions);
    document.body.appendChild(panel);
    if (here) {
      var target = document.querySelector(step.selector);
      if (target) {
        target.classList.add("tour-target");
        target.scrollIntoView({ block: "center", behavior: "instant" });
      }
    }
    var next = panel.querySelector(".tour-next") || panel.querySelector("button");
    if (next) next.focus({ preventScroll: true });
  }

  function start(url, role) {
    return window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("tour " + response.status);
        return response.json();
      })
      .then(function (tour) {
        if (!tour.steps.length) return;
        var welcome = document.getElementById("guide-welcome");
        if (welcome) welcome.remove();
        window.sessionStorage.setItem(SEEN, "1");
        markSeen(role);
        var state = { role: tour.role, title: tour.title, steps: tour.steps, index: 0 };
        goTo(state, 0);
      });
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-tour-start]");
    if (!trigger) return;
    event.preventDefault();
    var help = trigger.closest("details");
    if (help) help.open = false;
    start(trigger.dataset.tourUrl, trigger.dataset.tourStart);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.getElementById("tour-panel")) {
      var state = load();
      if (state) finish(state);
    }
  });

  var SEEN = "delibre.tour.seen";

  /* First login: ask the server whether a tour is to be offered (rendering the page costs no
   * query for it), then invite the user above the page content, never over it. */
  function offer() {
    var root = anchor();
    if (!root || window.sessionStorage.getItem(SEEN)) return;
    window.fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { offer: "" }; })
      .then(function (status) {
        if (!status.offer) {
          window.sessionStorage.setItem(SEEN, "1");
          return;
        }
        if (document.getElementById("guide-welcome") || load()) return;
        var banner = element("div", { "class": "guide-welcome", role: "note", lang: "fr", id: "guide-welcome" });
        var text = element("p", {});
        text.appendChild(element("strong", {}, "Bienvenue dans Délibre."));
        text.appendChild(document.createTextNode(
          " Une visite guidée de quelques étapes vous montre votre travail quotidien (" +
          status.title + ") sur les vrais écrans."));
        banner.appendChild(text);
        var actions = element("div", { "class": "actions" });
        actions.appendChild(element("button", {
          type: "button", "class": "button button--small",
          "data-tour-start": status.offer, "data-tour-url": status.url
        }, "Commencer la visite"));
        actions.appendChild(button("Plus tard (menu Aide)", "button--secondary button--small", function () {
          banner.remove();
          window.sessionStorage.setItem(SEEN, "1");
          markSeen(status.offer);
        }));
        banner.appendChild(actions);
        var main = document.getElementById("content");
        main.parentNode.insertBefore(banner, main);
      })
      .catch(function () { /* no invitation this time */ });
  }

  function resume() {
    var state = load();
    if (state && state.steps && state.steps[state.index]) {
      show(state);
    } else {
      offer();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", resume);
  } else {
    resume();
  }
})();
