// Rekpauze Mini App: schedule, exercises and progress. Plain JavaScript, no build step.
// Every API call carries Telegram's signed launch data; the server checks it and acts only
// for the user it names. Text from the server is inserted as text (catalogue cards, which are
// Telegram HTML, go through `safeNodes`, which keeps only b/i/u/s/code and plain text).
"use strict";

(function () {
  const tg = window.Telegram && window.Telegram.WebApp;
  const state = {
    strings: {},
    lang: "en",
    settings: null,
    draft: null,
    exercises: null,
    progress: null,
    screen: "schedule",
    detail: null,
    player: null,
  };
  const $ = (id) => document.getElementById(id);

  function t(key, vars) {
    let text = state.strings[key];
    if (text === undefined) return key;
    for (const [name, value] of Object.entries(vars || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  async function api(method, path, body) {
    const headers = { Authorization: "tma " + (tg ? tg.initData : "") };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch("api/" + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (_) {
      data = {};
    }
    return { status: response.status, data };
  }

  function showError(key, vars) {
    const box = $("error");
    box.textContent = t(key, vars);
    box.hidden = false;
  }

  function translatePage() {
    document.documentElement.lang = state.lang;
    for (const node of document.querySelectorAll("[data-t]")) {
      node.textContent = t(node.dataset.t);
    }
    $("area").setAttribute("aria-label", t("webapp.exercises.area"));
    $("place-filter").setAttribute("aria-label", t("webapp.exercises.place"));
  }

  // --- Telegram HTML from the catalogue, as DOM nodes built from text --------------------
  const KEEP = new Set(["B", "STRONG", "I", "EM", "U", "S", "CODE"]);

  function safeNodes(html) {
    const doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
    const out = document.createDocumentFragment();
    (function copy(from, to) {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          to.appendChild(document.createTextNode(node.textContent));
        } else if (node.nodeType === Node.ELEMENT_NODE) {
          if (KEEP.has(node.tagName)) {
            const element = document.createElement(node.tagName.toLowerCase());
            copy(node, element);
            to.appendChild(element);
          } else {
            copy(node, to);
          }
        }
      }
    })(doc.body.firstChild, out);
    return out;
  }

  // --- navigation ----------------------------------------------------------------------
  function show(screen) {
    state.screen = screen;
    for (const name of ["schedule", "exercises", "progress"]) {
      $("screen-" + name).hidden = name !== screen;
    }
    for (const tab of document.querySelectorAll("#tabs button")) {
      if (tab.dataset.screen === screen) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    updateMainButton();
    updateBackButton();
    if (screen === "exercises" && !state.exercises) loadExercises();
    if (screen === "progress") loadProgress();
  }

  function updateBackButton() {
    if (!tg || !tg.BackButton) return;
    if (state.screen === "exercises" && state.detail) tg.BackButton.show();
    else tg.BackButton.hide();
  }

  function onBack() {
    if (state.detail) closeDetail();
  }

  // --- schedule ------------------------------------------------------------------------
  function copySettings(s) {
    return {
      times: s.times.slice(),
      days: s.days.slice(),
      timezone: s.timezone,
      place: s.place,
      language: s.language,
      resume_on: s.resume_on,
      active: s.active,
    };
  }

  function dirty() {
    return JSON.stringify(state.draft) !== JSON.stringify(copySettings(state.settings));
  }

  function updateMainButton() {
    if (!tg || !tg.MainButton) return;
    tg.MainButton.setText(t("webapp.save"));
    if (state.screen === "schedule" && state.draft && dirty()) tg.MainButton.show();
    else tg.MainButton.hide();
  }

  function renderStatus() {
    const s = state.settings;
    let key = "webapp.status.active";
    if (!s.active) key = "webapp.status.stopped";
    else if (s.resume_on) key = "webapp.status.paused";
    $("status").textContent = t(key, { date: s.resume_on || "" });
    $("resume").hidden = s.active && !s.resume_on;
  }

  function renderTimes() {
    const list = $("times");
    list.textContent = "";
    state.draft.times.forEach((value, index) => {
      const item = document.createElement("li");
      const input = document.createElement("input");
      input.type = "time";
      input.value = value;
      input.required = true;
      input.setAttribute("aria-label", t("webapp.schedule.time_n", { n: index + 1 }));
      input.addEventListener("change", () => {
        state.draft.times[index] = input.value;
        changed();
      });
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "✕";
      remove.setAttribute("aria-label", t("webapp.schedule.remove_time", { time: value }));
      remove.disabled = state.draft.times.length <= 1;
      remove.addEventListener("click", () => {
        state.draft.times.splice(index, 1);
        renderTimes();
        changed();
      });
      item.append(input, remove);
      list.appendChild(item);
    });
    $("add-time").disabled = state.draft.times.length >= 6;
  }

  function renderDays() {
    const box = $("days");
    box.textContent = "";
    for (let day = 0; day < 7; day++) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = t("label.day." + day);
      button.setAttribute("aria-pressed", String(state.draft.days.includes(day)));
      button.addEventListener("click", () => {
        const days = state.draft.days;
        const at = days.indexOf(day);
        if (at >= 0) {
          if (days.length === 1) return; // at least one day
          days.splice(at, 1);
        } else {
          days.push(day);
          days.sort();
        }
        renderDays();
        changed();
      });
      box.appendChild(button);
    }
  }

  function renderPlaces() {
    const box = $("places");
    box.textContent = "";
    for (const place of ["office", "home"]) {
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", String(state.draft.place === place));
      button.textContent = t("label.place." + place);
      button.addEventListener("click", () => {
        state.draft.place = place;
        renderPlaces();
        changed();
      });
      box.appendChild(button);
    }
  }

  function renderNext(moments) {
    const list = $("next");
    list.textContent = "";
    if (!moments.length) {
      const item = document.createElement("li");
      item.textContent = t("webapp.schedule.none");
      list.appendChild(item);
    }
    for (const moment of moments) {
      const item = document.createElement("li");
      item.textContent = moment.label;
      if (moment.moved) {  // past its slot, waiting for a meeting to end
        const note = document.createElement("span");
        note.className = "moved";
        note.textContent = " · " + t("label.moved");
        item.appendChild(note);
      }
      list.appendChild(item);
    }
  }

  function renderSchedule() {
    const draft = state.draft;
    renderStatus();
    renderTimes();
    renderDays();
    renderPlaces();
    $("timezone").value = draft.timezone;
    const language = $("language");
    language.textContent = "";
    for (const code of state.languages) {
      const option = document.createElement("option");
      option.value = code;
      option.textContent = t("label.language." + code);
      option.selected = code === draft.language;
      language.appendChild(option);
    }
    $("resume-on").value = draft.resume_on || "";
    renderNext(state.settings.next);
    const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const suggest = $("suggest-zone");
    suggest.hidden = !browserZone || browserZone === draft.timezone;
    suggest.textContent = t("webapp.schedule.use_zone", { zone: browserZone });
    suggest.onclick = () => {
      draft.timezone = browserZone;
      $("timezone").value = browserZone;
      suggest.hidden = true;
      changed();
    };
    updateMainButton();
  }

  let previewTimer = null;
  function changed() {
    $("saved").hidden = true;
    $("error").hidden = true;
    updateMainButton();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 250);
  }

  async function preview() {
    const { status, data } = await api("POST", "preview", state.draft);
    if (status === 200) renderNext(data.next);
    else if (status === 422) renderInvalid(data.field);
  }

  function renderInvalid(field) {
    showError("webapp.invalid", { field: t("webapp.field." + field) });
  }

  async function save() {
    if (!dirty()) return;
    if (tg && tg.MainButton) tg.MainButton.showProgress();
    const { status, data } = await api("PUT", "settings", state.draft);
    if (tg && tg.MainButton) tg.MainButton.hideProgress();
    if (status === 200) {
      applySettings(data);
      $("saved").hidden = false;
      if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred("success");
    } else {
      if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred("error");
      if (status === 422) renderInvalid(data.field);
      else if (status === 401) showError("webapp.error.auth");
      else showError("webapp.error.generic");
    }
  }

  function applySettings(data) {
    state.strings = data.strings;
    state.lang = data.language;
    state.languages = data.languages;
    translatePage();
    state.settings = data;
    state.draft = copySettings(data);
    renderSchedule();
    loadCalendar(); // its lines are in the chat's language, which may have changed
    state.exercises = null; // the catalogue's language may have changed
  }

  function bindSchedule() {
    $("add-time").addEventListener("click", () => {
      if (state.draft.times.length >= 6) return;
      const last = state.draft.times[state.draft.times.length - 1] || "12:00";
      const [h, m] = last.split(":").map(Number);
      const next = String(Math.min(h + 1, 23)).padStart(2, "0") + ":" + String(m).padStart(2, "0");
      state.draft.times.push(next);
      renderTimes();
      changed();
    });
    $("timezone").addEventListener("change", (event) => {
      state.draft.timezone = event.target.value.trim();
      changed();
    });
    $("language").addEventListener("change", (event) => {
      state.draft.language = event.target.value;
      changed();
    });
    $("resume-on").addEventListener("change", (event) => {
      state.draft.resume_on = event.target.value || null;
      changed();
    });
    $("clear-pause").addEventListener("click", () => {
      state.draft.resume_on = null;
      $("resume-on").value = "";
      changed();
    });
    $("resume").addEventListener("click", () => {
      state.draft.resume_on = null;
      state.draft.active = true;
      changed();
      save();
    });
    const zones = $("zones");
    const names = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    for (const name of names) {
      const option = document.createElement("option");
      option.value = name;
      zones.appendChild(option);
    }
  }

  // --- the calendar: the same connection, test and disconnection as /calendar -------------
  // The address is sent once, in the body, and the input is cleared when it is stored; the
  // server answers only with the host and last characters (its `label`), and its texts are
  // the chat's own, Telegram HTML rendered through `safeNodes`.
  function calendarMessage(html, kind) {
    const box = $("calendar-message");
    box.textContent = "";
    box.className = "calendar-message" + (kind ? " " + kind : "");
    if (html) box.appendChild(safeNodes(html));
    box.hidden = !html;
  }

  function renderCalendar(data, replacing) {
    $("calendar-connected").hidden = !data.connected;
    $("calendar-form").hidden = data.connected && !replacing;
    if (!data.connected) return;
    $("calendar-label").textContent = data.label;
    const lines = $("calendar-lines");
    lines.textContent = "";
    for (const line of data.lines) {
      const p = document.createElement("p");
      p.appendChild(safeNodes(line));
      lines.appendChild(p);
    }
  }

  async function loadCalendar() {
    const { status, data } = await api("GET", "calendar");
    if (status === 200) renderCalendar(data, false);
  }

  async function connectCalendar(event) {
    event.preventDefault();
    const input = $("calendar-url");
    const url = input.value.trim();
    if (!url) return calendarMessage(t("webapp.calendar.empty"), "error");
    const button = $("calendar-connect");
    button.disabled = true;
    calendarMessage(t("webapp.calendar.checking"), "");
    const { status, data } = await api("POST", "calendar", { url });
    button.disabled = false;
    if (status === 200) {
      input.value = "";
      renderCalendar(data, false);
      calendarMessage(data.message, "ok");
      if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred("success");
    } else {
      if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred("error");
      calendarMessage(data.message || t(status === 401 ? "webapp.error.auth" : "webapp.error.generic"), "error");
    }
  }

  async function disconnectCalendar() {
    const button = $("calendar-disconnect");
    button.disabled = true;
    const { status, data } = await api("DELETE", "calendar");
    button.disabled = false;
    if (status === 200) {
      renderCalendar(data, false);
      calendarMessage(data.message, "ok");
    } else {
      calendarMessage(t(status === 401 ? "webapp.error.auth" : "webapp.error.generic"), "error");
    }
  }

  function bindCalendar() {
    $("calendar-form").addEventListener("submit", connectCalendar);
    $("calendar-disconnect").addEventListener("click", disconnectCalendar);
    $("calendar-replace").addEventListener("click", () => {
      $("calendar-form").hidden = false;
      calendarMessage("", "");
      $("calendar-url").focus();
    });
  }

  // --- exercises and the guided player --------------------------------------------------
  async function loadExercises() {
    const { status, data } = await api("GET", "exercises");
    if (status !== 200) return showError("webapp.error.generic");
    state.exercises = data;
    const area = $("area");
    area.textContent = "";
    const areas = [...new Set(data.exercises.flatMap((e) => e.areas))];
    area.appendChild(new Option(t("webapp.exercises.all_areas"), ""));
    for (const name of areas) area.appendChild(new Option(t("label.area." + name), name));
    const place = $("place-filter");
    place.textContent = "";
    place.appendChild(new Option(t("label.place.office"), "office"));
    place.appendChild(new Option(t("label.place.home"), "home"));
    place.appendChild(new Option(t("webapp.exercises.all_places"), ""));
    place.value = data.place === "home" ? "" : "office";
    renderList();
  }

  function renderList() {
    const list = $("exercise-list");
    list.textContent = "";
    const area = $("area").value;
    const place = $("place-filter").value;
    for (const exercise of state.exercises.exercises) {
      if (area && !exercise.areas.includes(area)) continue;
      if (place === "office" && !exercise.office) continue;
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = exercise.name;
      button.addEventListener("click", () => openDetail(exercise));
      item.appendChild(button);
      list.appendChild(item);
    }
  }

  function openDetail(exercise) {
    state.detail = exercise;
    $("exercise-list").hidden = true;
    document.querySelector(".filters").hidden = true;
    $("exercise-detail").hidden = false;
    const card = $("card");
    card.textContent = "";
    card.appendChild(safeNodes(exercise.card));
    showAnimation(exercise);
    $("start-guided").hidden = !exercise.guided.length;
    stopPlayer();
    updateBackButton();
    window.scrollTo(0, 0);
  }

  // The same looping animation the chat sends; its alt text is the steps in words. A
  // browser that cannot play it hides it: the card below says everything.
  function showAnimation(exercise) {
    const video = $("animation");
    video.onerror = null;
    video.removeAttribute("src");
    video.hidden = !exercise.animation;
    if (!exercise.animation) {
      video.load();
      return;
    }
    video.setAttribute("aria-label", exercise.animation_alt);
    video.setAttribute("title", exercise.name);
    video.onerror = () => { video.hidden = true; };
    video.src = exercise.animation;
    video.play().catch(() => {}); // autoplay may wait for a tap; the first frame shows
  }

  function closeDetail() {
    stopPlayer();
    $("animation").pause();
    state.detail = null;
    $("exercise-detail").hidden = true;
    $("exercise-list").hidden = false;
    document.querySelector(".filters").hidden = false;
    updateBackButton();
  }

  // The same rules as guided mode in the chat (bot/services/guided.py): a reading step for
  // `read` seconds; a hold or movement gets `prepare` seconds, then counts down; repetitions
  // wait for "Next".
  function frameAt(steps, rules, elapsed, start) {
    let begin = 0;
    for (let index = start; index < steps.length; index++) {
      const step = steps[index];
      const timed = (step.kind === "hold" || step.kind === "move") && step.seconds;
      const length = step.kind === "reps" ? Infinity : timed ? rules.prepare + step.seconds : rules.read;
      const end = begin + length;
      if (elapsed < end) {
        if (step.kind === "reps") return { index, phase: "reps" };
        if (!timed) return { index, phase: "read" };
        if (elapsed < begin + rules.prepare) return { index, phase: "prepare", remaining: step.seconds };
        return { index, phase: step.kind, remaining: Math.max(1, Math.ceil(end - elapsed)) };
      }
      begin = end;
    }
    return { index: steps.length, phase: "done" };
  }

  function startPlayer(start) {
    const exercise = state.detail;
    stopPlayer();
    state.player = { start, began: performance.now(), timer: setInterval(renderPlayer, 250) };
    $("player").hidden = false;
    $("start-guided").hidden = true;
    renderPlayer();
  }

  function stopPlayer() {
    if (state.player) clearInterval(state.player.timer);
    state.player = null;
    $("player").hidden = true;
    if (state.detail) $("start-guided").hidden = !state.detail.guided.length;
  }

  function renderPlayer() {
    const player = state.player;
    const steps = state.detail.guided;
    const elapsed = (performance.now() - player.began) / 1000;
    const frame = frameAt(steps, state.exercises.rules, elapsed, player.start);
    player.frame = frame;
    const stepBox = $("player-step");
    const timer = $("player-timer");
    if (frame.phase === "done") {
      clearInterval(player.timer);
      stepBox.textContent = t("webapp.guided.done");
      timer.textContent = "";
      $("player-next").hidden = true;
      return;
    }
    $("player-next").hidden = false;
    stepBox.textContent = "";
    const header = document.createElement("strong");
    header.textContent = t("webapp.guided.step", { n: frame.index + 1, total: steps.length });
    stepBox.append(header, document.createElement("br"), safeNodes(steps[frame.index].text));
    timer.textContent = t("webapp.guided." + frame.phase, { seconds: frame.remaining || "" });
  }

  function bindExercises() {
    $("area").addEventListener("change", renderList);
    $("place-filter").addEventListener("change", renderList);
    $("start-guided").addEventListener("click", () => startPlayer(0));
    $("player-stop").addEventListener("click", stopPlayer);
    $("player-next").addEventListener("click", () => {
      const frame = state.player && state.player.frame;
      if (frame) startPlayer(frame.index + 1);
    });
  }

  // --- progress ------------------------------------------------------------------------
  function dayLabel(iso, options) {
    return new Intl.DateTimeFormat(state.lang, options).format(new Date(iso + "T12:00:00"));
  }

  async function loadProgress() {
    const { status, data } = await api("GET", "progress");
    if (status === 404) return showError("webapp.not_registered");
    if (status !== 200) return showError("webapp.error.generic");
    state.progress = data;
    $("today").textContent = t("webapp.progress.of", { done: data.today, goal: data.goal });
    $("streak").textContent = String(data.current_streak);
    $("best").textContent = String(data.best_streak);
    const top = Math.max(data.goal, ...data.weeks.flatMap((w) => w.days.map((d) => d.count)));
    const chart = $("chart");
    chart.textContent = "";
    const head = document.querySelector("#progress-table thead tr");
    head.textContent = "";
    const first = document.createElement("th");
    first.scope = "col";
    first.textContent = t("webapp.progress.week");
    head.appendChild(first);
    for (let day = 0; day < 7; day++) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = t("label.day." + day);
      head.appendChild(th);
    }
    const total = document.createElement("th");
    total.scope = "col";
    total.textContent = t("webapp.progress.breaks");
    head.appendChild(total);
    const body = document.querySelector("#progress-table tbody");
    body.textContent = "";
    for (const week of data.weeks) {
      const label = dayLabel(week.start, { day: "numeric", month: "short" });
      const row = document.createElement("div");
      row.className = "week";
      const name = document.createElement("span");
      name.className = "label";
      name.textContent = label;
      row.appendChild(name);
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = label;
      tr.appendChild(th);
      for (const day of week.days) {
        const bar = document.createElement("div");
        bar.className = "bar " + day.status;
        const fill = document.createElement("div");
        fill.className = "fill";
        fill.style.height = Math.round((day.count / top) * 100) + "%";
        const count = document.createElement("span");
        count.textContent = day.status === "none" ? "" : String(day.count);
        bar.append(count, fill);
        row.appendChild(bar);
        const td = document.createElement("td");
        td.textContent = day.status === "none" ? "–" : String(day.count);
        td.title = t("webapp.status_day." + day.status);
        tr.appendChild(td);
      }
      const sum = document.createElement("td");
      sum.textContent = String(week.breaks);
      tr.appendChild(sum);
      chart.appendChild(row);
      body.appendChild(tr);
    }
  }

  // --- start ---------------------------------------------------------------------------
  async function start() {
    if (tg) {
      tg.ready();
      if (tg.expand) tg.expand();
      if (tg.MainButton) tg.MainButton.onClick(save);
      if (tg.BackButton) tg.BackButton.onClick(onBack);
    }
    bindSchedule();
    bindCalendar();
    bindExercises();
    for (const tab of document.querySelectorAll("#tabs button")) {
      tab.addEventListener("click", () => show(tab.dataset.screen));
    }
    const { status, data } = await api("GET", "settings");
    $("loading").hidden = true;
    if (status === 401) {
      state.strings = {};
      $("error").textContent = "Open this page from the bot in Telegram. / Open deze pagina vanuit de bot in Telegram.";
      $("error").hidden = false;
      return;
    }
    if (status !== 200) return showError("webapp.error.generic");
    state.strings = data.strings;
    state.lang = data.language;
    state.languages = data.languages;
    translatePage();
    if (!data.registered) return showError("webapp.not_registered");
    applySettings(data);
    $("tabs").hidden = false;
    const wanted = new URLSearchParams(location.search).get("screen");
    show(["schedule", "exercises", "progress"].includes(wanted) ? wanted : "schedule");
  }

  document.addEventListener("DOMContentLoaded", start);
})();
