// A stand-in for Telegram's telegram-web-app.js, served only by `rekpauze sandbox` and the
// tests (a real Telegram client injects the real one). It reads the launch parameters from
// the URL fragment as Telegram passes them (#tgWebAppData=...&tgWebAppThemeParams=...), sets
// the --tg-theme-* CSS variables, and draws the MainButton and BackButton that Telegram's
// own interface would show, so a browser can use the page as a phone would.
"use strict";

(function () {
  const params = new URLSearchParams(location.hash.slice(1));
  const initData = params.get("tgWebAppData") || "";
  let themeParams = {};
  try {
    themeParams = JSON.parse(params.get("tgWebAppThemeParams") || "{}");
  } catch (_) {
    themeParams = {};
  }
  const root = document.documentElement;
  for (const [key, value] of Object.entries(themeParams)) {
    root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
  }
  const bg = themeParams.bg_color || "#ffffff";
  const dark = parseInt(bg.slice(1, 3), 16) + parseInt(bg.slice(3, 5), 16) + parseInt(bg.slice(5, 7), 16) < 384;
  root.style.setProperty("color-scheme", dark ? "dark" : "light");

  const unsafe = {};
  for (const [key, value] of new URLSearchParams(initData)) {
    try {
      unsafe[key] = key === "user" ? JSON.parse(value) : value;
    } catch (_) {
      unsafe[key] = value;
    }
  }

  function makeButton(id, css) {
    let element = null;
    const handlers = [];
    const button = {
      text: "",
      isVisible: false,
      isActive: true,
      isProgressVisible: false,
      setText(text) {
        button.text = text;
        if (element) element.textContent = text;
        return button;
      },
      show() {
        button.isVisible = true;
        if (!element) {
          element = document.createElement("button");
          element.id = id;
          element.type = "button";
          Object.assign(element.style, css);
          element.addEventListener("click", () => handlers.forEach((h) => h()));
          document.body.appendChild(element);
        }
        element.textContent = button.text;
        element.hidden = false;
        if (id === "tg-main-button") document.body.classList.add("has-main-button");
        return button;
      },
      hide() {
        button.isVisible = false;
        if (element) element.hidden = true;
        if (id === "tg-main-button") document.body.classList.remove("has-main-button");
        return button;
      },
      onClick(handler) {
        handlers.push(handler);
        return button;
      },
      offClick(handler) {
        const at = handlers.indexOf(handler);
        if (at >= 0) handlers.splice(at, 1);
        return button;
      },
      showProgress() {
        button.isProgressVisible = true;
        return button;
      },
      hideProgress() {
        button.isProgressVisible = false;
        return button;
      },
      enable() {
        button.isActive = true;
        return button;
      },
      disable() {
        button.isActive = false;
        return button;
      },
    };
    return button;
  }

  const haptics = [];
  window.__haptics = haptics;
  window.Telegram = {
    WebApp: {
      initData,
      initDataUnsafe: unsafe,
      themeParams,
      colorScheme: dark ? "dark" : "light",
      platform: "sandbox",
      version: "8.0",
      isExpanded: true,
      ready() {},
      expand() {},
      close() {},
      onEvent() {},
      offEvent() {},
      showAlert(message) {
        window.alert(message);
      },
      MainButton: makeButton("tg-main-button", {
        position: "fixed",
        left: "0",
        right: "0",
        bottom: "0",
        height: "56px",
        border: "0",
        borderRadius: "0",
        background: themeParams.button_color || "#2481cc",
        color: themeParams.button_text_color || "#ffffff",
        fontWeight: "600",
        fontSize: "16px",
        zIndex: "10",
      }),
      BackButton: makeButton("tg-back-button", {
        position: "fixed",
        top: "8px",
        right: "8px",
        minHeight: "36px",
        padding: "6px 12px",
        border: "0",
        borderRadius: "18px",
        background: themeParams.secondary_bg_color || "#f1f3f5",
        color: themeParams.link_color || "#2481cc",
        zIndex: "10",
      }),
      HapticFeedback: {
        impactOccurred(style) {
          haptics.push("impact:" + style);
        },
        notificationOccurred(type) {
          haptics.push("notification:" + type);
        },
        selectionChanged() {
          haptics.push("selection");
        },
      },
    },
  };
  window.Telegram.WebApp.BackButton.setText("‹ Back");
})();
