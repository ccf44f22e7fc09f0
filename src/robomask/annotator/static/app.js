// robomask annotate: the page's controller (navigation, clicks, preview, save). Plain
// ES modules, no build step; api.js talks to the server, view.js draws.
import { api, call, errorText } from "./api.js";
import * as view from "./view.js";

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const STORED_NAMES = { arm: "arm session", gripper: "gripper session", export: "exported" };

const S = {
  info: null,          // /api/state minus the edit state
  state: null,         // objects, clicks, problems, dirty, ...
  clicks: new Map(),   // "frame:obj" -> {points, labels}
  frame: 0,
  obj: null,           // selected obj_id
  previews: new Map(), // obj_id -> ImageBitmap for S.frame
  previewSeq: new Map(),
  inflight: new Map(),
  storedSeq: 0,
  queue: Promise.resolve(),
  timers: {},
};

// Edits run one after another, in the order the user made them.
function enqueue(fn) {
  S.queue = S.queue.then(fn).catch((e) => status(e.message, "error"));
  return S.queue;
}

// --- state ---
function setState(st) {
  S.state = st;
  S.clicks = new Map(st.clicks.map((c) => [`${c.frame_index}:${c.obj_id}`, c]));
  renderPanels();
  view.renderMarks(S);
  view.renderSave(S);
}

function renderPanels() {
  view.renderObjects(S, selectObject);
  view.renderKeyframes(S, selectObject, goto);
  view.renderProblems(S, goto);
  view.drawPoints(S);
}

const drawPreviews = () => view.drawPreviews(S);
const objById = (id) => S.state.objects.find((o) => o.obj_id === id);
const clicksOn = (frame, obj) => S.clicks.get(`${frame}:${obj}`);

function status(text, kind) {
  const el = $("status");
  el.textContent = text;
  el.className = kind || "";
}

function showMessage(text) {
  const el = $("message");
  el.textContent = text || "";
  el.hidden = !text;
}

// --- layout ---
function fit() {
  const vp = $("viewport");
  const { width: W, height: H } = S.info;
  const scale = Math.min(vp.clientWidth / W, vp.clientHeight / H);
  $("stage").style.width = `${Math.floor(W * scale)}px`;
  $("stage").style.height = `${Math.floor(H * scale)}px`;
  view.drawPoints(S);
}

function frameUrl(i) {
  const want = Math.ceil(($("stage").clientWidth * devicePixelRatio) / 128) * 128;
  return api(`api/frame/${i}`, want > 0 && want < S.info.width ? { max_width: want } : {});
}

// --- navigation ---
function goto(i) {
  i = Math.max(0, Math.min(S.info.num_frames - 1, Math.round(Number(i) || 0)));
  const changed = i !== S.frame || !$("frame").src;
  S.frame = i;
  $("slider").value = i;
  $("frame-input").value = i;
  if (!changed) return;
  $("frame").src = frameUrl(i);
  S.previews.clear();
  drawPreviews();
  renderPanels();
  clearTimeout(S.timers.frame);
  S.timers.frame = setTimeout(() => {  // wait until stepping pauses
    for (const o of S.state.objects) if (clicksOn(i, o.obj_id)) requestPreview(o.obj_id);
    loadStored();
    const u = new URL(location.href);
    u.searchParams.set("frame", i);
    history.replaceState(null, "", u);
    for (const j of [i + 1, i - 1]) {  // warm the browser cache for the next step
      if (j >= 0 && j < S.info.num_frames) new Image().src = frameUrl(j);
    }
  }, 120);
}

function selectObject(id) {
  if (!objById(id)) return;
  S.obj = id;
  view.renderObjects(S, selectObject);
  view.drawPoints(S);
  drawPreviews();
}

// --- preview and stored masks ---
function requestPreview(obj, t0) {
  const frame = S.frame;
  const key = `${frame}:${obj}`;
  const slot = S.inflight.get(key);
  if (slot) { slot.again = true; return; }  // at most one running, one waiting
  const mine = { again: false };
  S.inflight.set(key, mine);
  fetchPreview(frame, obj, t0 || performance.now()).finally(() => {
    S.inflight.delete(key);
    if (mine.again && S.frame === frame) requestPreview(obj);
  });
}

async function fetchPreview(frame, obj, t0) {
  const seq = (S.previewSeq.get(obj) || 0) + 1;
  S.previewSeq.set(obj, seq);
  let resp;
  try {
    resp = await fetch(api("api/preview", { frame_index: frame, obj_id: obj }));
  } catch (e) {
    showMessage(`preview: ${e.message}`);
    return;
  }
  if (S.frame !== frame || S.previewSeq.get(obj) !== seq) return;  // stale
  if (resp.status === 204) {
    S.previews.delete(obj);
    drawPreviews();
    return;
  }
  if (!resp.ok) {
    S.previews.delete(obj);
    drawPreviews();
    const text = await errorText(resp);
    showMessage(text);
    status(text, "error");
    return;
  }
  const bmp = await createImageBitmap(await resp.blob());
  if (S.frame !== frame || S.previewSeq.get(obj) !== seq) return;
  S.previews.set(obj, bmp);
  drawPreviews();
  showMessage("");
  const backendMs = Number(resp.headers.get("X-Backend-Ms"));
  status(`preview of ${objById(obj).name}: ${Math.round(performance.now() - t0)} ms` +
    (Number.isFinite(backendMs) ? ` (backend ${Math.round(backendMs)} ms)` : " (cached)"));
}

async function loadStored() {
  const kind = $("stored-kind").value;
  const cv = $("stored");
  const seq = ++S.storedSeq;
  const frame = S.frame;
  const clear = () => cv.getContext("2d").clearRect(0, 0, cv.width, cv.height);
  if (!kind) { clear(); return; }
  const resp = await fetch(api(`api/mask/${kind}/${frame}`));
  if (seq !== S.storedSeq) return;
  clear();
  if (!resp.ok) {
    status(`no ${STORED_NAMES[kind]} mask for frame ${frame}`);
    return;
  }
  const bmp = await createImageBitmap(await resp.blob());
  if (seq === S.storedSeq) cv.getContext("2d").drawImage(bmp, 0, 0, cv.width, cv.height);
}

// --- edits ---
function clickAt(ev, label) {
  ev.preventDefault();
  if (S.obj === null) return;
  const rect = $("points").getBoundingClientRect();
  const x = ((ev.clientX - rect.left) / rect.width) * S.info.width;
  const y = ((ev.clientY - rect.top) / rect.height) * S.info.height;
  if (x < 0 || y < 0 || x >= S.info.width || y >= S.info.height) return;
  const t0 = performance.now();
  const frame = S.frame;
  const obj = S.obj;
  enqueue(async () => {
    setState(await call("POST", "api/click", { frame_index: frame, obj_id: obj, x, y, label }));
    requestPreview(obj, t0);
  });
}

function undo() {
  enqueue(async () => {
    const res = await call("POST", "api/undo");
    setState(res.state);
    if (!res.undone) return;
    selectObject(res.undone.obj_id);
    if (res.undone.frame_index !== S.frame) goto(res.undone.frame_index);
    else requestPreview(res.undone.obj_id);
  });
}

function clearFrame() {
  const frame = S.frame;
  const obj = S.obj;
  enqueue(async () => {
    setState(await call("POST", "api/clear", { frame_index: frame, obj_id: obj }));
    requestPreview(obj);
  });
}

function save() {
  enqueue(async () => {
    const res = await call("POST", "api/save");
    setState(res.state);
    status(`saved ${res.files.map((f) => f.split(/[\\/]/).pop()).join(" and ")}`, "ok");
    $("status").title = res.files.join("\n");
  });
}

// --- wiring ---
function wire() {
  const pts = $("points");
  pts.addEventListener("click", (ev) => clickAt(ev, ev.shiftKey ? 0 : 1));
  pts.addEventListener("contextmenu", (ev) => clickAt(ev, 0));
  $("slider").addEventListener("input", (ev) => goto(ev.target.value));
  $("frame-input").addEventListener("change", (ev) => goto(ev.target.value));
  $("frame-input").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") ev.target.blur();  // jump, then the keys step frames again
  });
  $("first").onclick = () => goto(0);
  $("last").onclick = () => goto(S.info.num_frames - 1);
  $("back").onclick = () => goto(S.frame - 1);
  $("fwd").onclick = () => goto(S.frame + 1);
  $("back10").onclick = () => goto(S.frame - 10);
  $("fwd10").onclick = () => goto(S.frame + 10);
  $("undo").onclick = undo;
  $("clear").onclick = clearFrame;
  $("save").onclick = save;
  $("show-preview").onchange = drawPreviews;
  $("stored-kind").onchange = loadStored;
  $("opacity").oninput = applyOpacity;
  $("frame").onerror = () => status(`frame ${S.frame} could not be loaded`, "error");
  window.addEventListener("resize", fit);
  window.addEventListener("beforeunload", (ev) => {
    if (S.state && S.state.dirty) { ev.preventDefault(); ev.returnValue = ""; }
  });
  document.addEventListener("keydown", onKey);
}

function onKey(ev) {
  const typing = ev.target.tagName === "INPUT" && ev.target.type === "number";
  if (typing || ev.target.tagName === "SELECT") return;
  const step = ev.shiftKey ? 10 : 1;
  const key = ev.key.toLowerCase();
  const actions = {
    arrowleft: () => goto(S.frame - step),
    arrowright: () => goto(S.frame + step),
    home: () => goto(0),
    end: () => goto(S.info.num_frames - 1),
    z: undo,
    c: clearFrame,
    s: save,
    p: () => { $("show-preview").checked = !$("show-preview").checked; drawPreviews(); },
    m: toggleStored,
  };
  if ((ev.ctrlKey || ev.metaKey) && !["z", "s"].includes(key)) return;
  if (/^[1-9]$/.test(ev.key) && S.state.objects[Number(ev.key) - 1]) {
    selectObject(S.state.objects[Number(ev.key) - 1].obj_id);
  } else if (actions[key]) {
    actions[key]();
  } else {
    return;
  }
  ev.preventDefault();
}

function toggleStored() {
  const sel = $("stored-kind");
  sel.value = sel.value ? "" : (S.lastStored || (sel.options[1] || {}).value || "");
  if (sel.value) S.lastStored = sel.value;
  loadStored();
}

function applyOpacity() {
  const a = Number($("opacity").value) / 100;
  $("stored").style.opacity = a;
  $("preview").style.opacity = a;
}

async function start() {
  wire();
  let st;
  try {
    st = await call("GET", "api/state");
  } catch (e) {
    status(`cannot load the scene: ${e.message}`, "error");
    return;
  }
  S.info = st;
  for (const id of ["stored", "preview", "points"]) {
    $(id).width = st.width;
    $(id).height = st.height;
  }
  $("scene-info").textContent = `${st.scene} · ${st.width}×${st.height} · ` +
    `${st.num_frames} frames · backend ${st.backend} · mode ${st.mode}`;
  $("scene-info").title = `prompt files:\n${st.files.join("\n")}`;
  for (const kind of st.stores) {
    const opt = document.createElement("option");
    opt.value = kind;
    opt.textContent = STORED_NAMES[kind];
    $("stored-kind").append(opt);
  }
  $("slider").max = st.num_frames - 1;
  $("frame-input").max = st.num_frames - 1;
  $("frame-count").textContent = `/ ${st.num_frames - 1}`;
  S.obj = st.objects[0].obj_id;
  S.frame = -1;
  setState(st);
  applyOpacity();
  fit();
  const wanted = params.has("frame") ? Number(params.get("frame")) : st.start_frame;
  goto(wanted);
  status("ready: pick an object, then click on the frame");
}

start();
