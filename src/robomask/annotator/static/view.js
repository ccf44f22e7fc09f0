// Drawing the page from its state S (see app.js): side panels, warnings, the click
// markers and the preview overlays. No requests here.
const $ = (id) => document.getElementById(id);

export function renderObjects(S, onSelect) {
  const box = $("objects");
  box.replaceChildren();
  S.state.objects.forEach((o, k) => {
    const b = document.createElement("button");
    b.className = "object" + (o.obj_id === S.obj ? " selected" : "");
    b.dataset.objId = o.obj_id;
    b.style.setProperty("--colour", o.colour);
    const here = S.clicks.get(`${S.frame}:${o.obj_id}`);
    b.innerHTML = `<span class="swatch"></span><span class="name"></span>` +
      `<span class="count"></span><kbd>${k + 1}</kbd>`;
    b.querySelector(".name").textContent = o.name;
    b.title = `${o.key}, obj_id ${o.obj_id}`;
    const n = here ? here.points.length : 0;
    b.querySelector(".count").textContent = n ? `${n} pt${n > 1 ? "s" : ""} here` : "";
    b.onclick = () => onSelect(o.obj_id);
    box.append(b);
  });
}

export function renderKeyframes(S, onSelect, onJump) {
  const box = $("keyframes");
  box.replaceChildren();
  for (const o of S.state.objects) {
    const row = document.createElement("div");
    row.className = "kf-row";
    row.style.setProperty("--colour", o.colour);
    const title = document.createElement("div");
    title.className = "kf-title";
    title.textContent = `${o.name}: ${o.keyframes.length || "none"}`;
    row.append(title);
    for (const fi of o.keyframes) {
      const chip = document.createElement("button");
      chip.className = "chip" + (fi === S.frame ? " current" : "");
      chip.textContent = fi;
      chip.onclick = () => { onSelect(o.obj_id); onJump(fi); };
      row.append(chip);
    }
    box.append(row);
  }
}

export function renderMarks(S) {
  const box = $("marks");
  box.replaceChildren();
  const n = Math.max(1, S.info.num_frames - 1);
  for (const o of S.state.objects) {
    for (const fi of o.keyframes) {
      const m = document.createElement("span");
      m.style.left = `${(100 * fi) / n}%`;
      m.style.background = o.colour;
      m.title = `${o.name}: frame ${fi}`;
      box.append(m);
    }
  }
}

export function renderProblems(S, onJump) {
  const box = $("problems");
  box.replaceChildren();
  for (const p of S.state.problems) {
    const li = document.createElement("li");
    li.className = p.level + (p.frame_index === S.frame ? " here" : "");
    li.textContent = p.message;
    if (p.frame_index !== null) {
      li.classList.add("link");
      li.title = `go to frame ${p.frame_index}`;
      li.onclick = () => onJump(p.frame_index);
    }
    box.append(li);
  }
}

export function renderSave(S) {
  const st = S.state;
  $("save").classList.toggle("dirty", st.dirty);
  $("undo").disabled = !st.can_undo;
  $("save-status").textContent = st.dirty ? "unsaved changes" :
    st.saved_at ? `saved ${new Date(st.saved_at).toLocaleTimeString()}` : "no changes";
}

export function drawPoints(S) {
  const cv = $("points");
  const ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  const shown = $("stage").clientWidth;
  const scale = shown ? cv.width / shown : 1;  // markers keep their size on screen
  for (const o of S.state.objects) {
    const c = S.clicks.get(`${S.frame}:${o.obj_id}`);
    if (!c) continue;
    const r = (o.obj_id === S.obj ? 8 : 6) * scale;
    c.points.forEach(([x, y], k) => {
      const positive = c.labels[k] === 1;
      ctx.beginPath();  // positive: filled in the object's colour; negative: dark
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = positive ? o.colour : "#16181b";
      ctx.fill();
      ctx.lineWidth = 2.5 * scale;
      ctx.strokeStyle = positive ? "#fff" : o.colour;
      ctx.stroke();
      ctx.beginPath();  // "+" or "-"
      ctx.moveTo(x - r * 0.5, y);
      ctx.lineTo(x + r * 0.5, y);
      if (positive) { ctx.moveTo(x, y - r * 0.5); ctx.lineTo(x, y + r * 0.5); }
      ctx.lineWidth = 2 * scale;
      ctx.strokeStyle = positive ? "#111" : "#fff";
      ctx.stroke();
    });
  }
}

export function drawPreviews(S) {
  const cv = $("preview");
  const ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  if (!$("show-preview").checked) return;
  const order = [...S.previews.keys()].sort((a, b) => (a === S.obj) - (b === S.obj));
  for (const id of order) ctx.drawImage(S.previews.get(id), 0, 0, cv.width, cv.height);
}
