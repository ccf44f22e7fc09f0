"""The annotation server's HTTP API: frames, clicks, preview, save, modes, safety."""

from __future__ import annotations

import http.client
import json
import socket

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from robomask.annotator.serve import AnnotateServer
from robomask.annotator.server import create_app, make_context
from robomask.cli.main import main
from robomask.prompts import ARM2_KEY, ARM_KEY, LEFT_KEY, RIGHT_KEY, read_prompts
from robomask.scenes import scene

BASE = "http://127.0.0.1:8765"


def _ctx(sc, **kw):
    return make_context(sc.config, scene(sc.config, sc.name), **kw)


@pytest.fixture
def scene_fx(make_scene, click_backend):
    return make_scene(backend=click_backend)


@pytest.fixture
def client(scene_fx):
    with TestClient(create_app(_ctx(scene_fx)), base_url=BASE) as c:
        yield c


def _png(resp) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(resp.content, np.uint8), cv2.IMREAD_UNCHANGED)


def _click(c, frame, obj, x, y, label=1):
    return c.post("/api/click", json={"frame_index": frame, "obj_id": obj, "x": x, "y": y,
                                      "label": label})


def _clicks(state, frame, obj):
    return next((c for c in state["clicks"]
                 if c["frame_index"] == frame and c["obj_id"] == obj), None)


# --- reading ---

def test_state_lists_objects_and_prompts_from_disk(client, scene_fx):
    st = client.get("/api/state").json()
    assert (st["num_frames"], st["width"], st["height"]) == (8, 96, 64)
    assert [(o["name"], o["obj_id"], o["key"]) for o in st["objects"]] == [
        ("arm", 0, ARM_KEY), ("gripper left", 2, LEFT_KEY), ("gripper right", 3, RIGHT_KEY)]
    assert len({o["colour"] for o in st["objects"]}) == 3
    assert _clicks(st, 0, 0)["points"] == [[24.0, 8.0]]
    assert _clicks(st, 0, 2)["points"] == [[9.6, 6.4]]  # rel (0.1, 0.1) shown in pixels
    assert st["mode"] == "append" and st["dirty"] is False
    assert st["stores"] == ["arm", "gripper"]


def test_second_arm_is_offered_when_configured(make_scene, click_backend):
    sc = make_scene(backend=click_backend, arm_obj_id_2=1)
    with TestClient(create_app(_ctx(sc)), base_url=BASE) as c:
        objs = c.get("/api/state").json()["objects"]
    assert [(o["name"], o["obj_id"], o["key"]) for o in objs][1] == ("arm 2", 1, ARM2_KEY)


def test_frames_are_jpeg_and_can_be_shrunk(client, scene_fx):
    full = client.get("/api/frame/3")
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    img = _png(full)
    assert img.shape == (64, 96, 3)
    files = sorted(scene_fx.frames_dir.glob("*.png"), key=lambda p: int(p.stem))
    err = [np.abs(img.astype(int) - cv2.imread(str(f))).mean() for f in files]
    assert int(np.argmin(err)) == 3  # a JPEG of frame 3, not of its neighbours
    small = _png(client.get("/api/frame/3", params={"max_width": 48}))
    assert small.shape == (32, 48, 3)
    for bad in ("/api/frame/8", "/api/frame/-1", "/api/frame/3?max_width=0"):
        r = client.get(bad)
        assert 400 <= r.status_code < 500 and "detail" in r.json(), bad


def test_an_mp4_scene_is_served_too(scene_fx):
    import shutil

    files = sorted(scene_fx.frames_dir.glob("*.png"), key=lambda p: int(p.stem))
    video = scene_fx.camera_dir / "color.mp4"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (96, 64))
    for f in files:
        out.write(cv2.imread(str(f)))
    out.release()
    shutil.rmtree(scene_fx.frames_dir)
    ctx = _ctx(scene_fx)
    with TestClient(create_app(ctx), base_url=BASE) as c:
        assert c.get("/api/state").json()["num_frames"] == 8
        for i in (5, 1, 5):  # backwards: the decoder restarts
            assert _png(c.get(f"/api/frame/{i}")).shape == (64, 96, 3)
        _click(c, 5, 0, 40.0, 10.0)
        assert c.get("/api/preview", params={"frame_index": 5, "obj_id": 0}).status_code == 200


def test_stored_masks_are_overlays(client, scene_fx):
    png = _png(client.get("/api/mask/gripper/2"))
    assert png.shape == (64, 96, 4)
    assert np.array_equal(png[..., 3] > 0, scene_fx.gripper_gt[2])
    missing = client.get("/api/mask/export/2")  # no export yet
    assert missing.status_code == 404 and "expected a mask PNG" in missing.json()["detail"]


# --- editing ---

def test_click_preview_save_and_reload(scene_fx, client):
    x, y = 30.0, 10.0  # inside the arm bar on frame 2
    st = _click(client, 2, 0, x, y).json()
    assert _clicks(st, 2, 0) == {"frame_index": 2, "obj_id": 0, "points": [[30.0, 10.0]],
                                 "labels": [1]}
    assert st["dirty"] is True
    st = _click(client, 2, 0, 60.7, 50.2, label=0).json()
    assert _clicks(st, 2, 0)["labels"] == [1, 0]
    assert _clicks(st, 2, 0)["points"][1] == [60.0, 50.0]  # abs points are whole pixels

    r = client.get("/api/preview", params={"frame_index": 2, "obj_id": 0})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    overlay = _png(r)
    assert overlay.shape == (64, 96, 4)
    shown = overlay[..., 3] > 0
    assert shown[10, 30] and tuple(overlay[10, 30, 2::-1]) == (0xFF, 0x8C, 0x1A)  # arm colour
    iou = (shown & scene_fx.arm_gt[2]).sum() / (shown | scene_fx.arm_gt[2]).sum()
    assert iou > 0.8  # the backend's mask of the clicked bar
    assert float(r.headers["X-Backend-Ms"]) >= 0
    again = client.get("/api/preview", params={"frame_index": 2, "obj_id": 0})
    assert again.headers["X-Backend-Ms"] == "cached" and again.content == r.content

    saved = client.post("/api/save").json()
    assert saved["state"]["dirty"] is False and len(saved["files"]) == 2
    arm = read_prompts(scene_fx.camera_dir / "annotation_prompts_arm_points.json", kind="arm")
    grip = read_prompts(scene_fx.camera_dir / "annotation_prompts_gripper_points.json",
                        kind="gripper")
    assert [(e.frame_index, e.obj_id, e.points, e.labels) for e in arm[ARM_KEY]] == [
        (0, 0, ((24.0, 8.0),), (1,)), (2, 0, ((30.0, 10.0), (60.0, 50.0)), (1, 0))]
    assert arm[LEFT_KEY] == arm[RIGHT_KEY] == [] and grip[ARM_KEY] == grip[ARM2_KEY] == []
    assert [e.coord_type for e in grip[LEFT_KEY] + grip[RIGHT_KEY]] == ["rel", "rel"]

    with TestClient(create_app(_ctx(scene_fx)), base_url=BASE) as again:  # a fresh server
        st2 = again.get("/api/state").json()
    assert _clicks(st2, 2, 0)["labels"] == [1, 0] and st2["dirty"] is False


def test_click_on_a_rel_entry_keeps_rel(client, scene_fx):
    _click(client, 0, 2, 48.0, 32.0)  # left gripper, frame 0: a rel entry from disk
    client.post("/api/save")
    left = read_prompts(scene_fx.camera_dir / "annotation_prompts_gripper_points.json")[LEFT_KEY]
    assert len(left) == 1 and left[0].coord_type == "rel"
    assert left[0].points == ((0.1, 0.1), (0.5, 0.5)) and left[0].labels == (1, 1)


def test_new_entries_are_kept_in_frame_order(client, scene_fx):
    for frame in (6, 2, 4):
        _click(client, frame, 0, 40.0, 10.0)
    client.post("/api/save")
    arm = read_prompts(scene_fx.camera_dir / "annotation_prompts_arm_points.json")[ARM_KEY]
    assert [e.frame_index for e in arm] == [0, 2, 4, 6]


def test_overwrite_starts_empty_and_replaces_files(scene_fx):
    with TestClient(create_app(_ctx(scene_fx, mode="overwrite")), base_url=BASE) as c:
        st = c.get("/api/state").json()
        assert st["clicks"] == [] and st["mode"] == "overwrite"
        _click(c, 4, 3, 80.0, 10.0)
        c.post("/api/save")
    arm = read_prompts(scene_fx.camera_dir / "annotation_prompts_arm_points.json")
    grip = read_prompts(scene_fx.camera_dir / "annotation_prompts_gripper_points.json")
    assert arm.is_empty() and grip[LEFT_KEY] == []
    assert [(e.frame_index, e.obj_id) for e in grip[RIGHT_KEY]] == [(4, 3)]


def test_append_keeps_what_is_on_disk(client, scene_fx):
    _click(client, 4, 3, 80.0, 10.0)
    client.post("/api/save")
    grip = read_prompts(scene_fx.camera_dir / "annotation_prompts_gripper_points.json")
    assert [(e.frame_index, e.coord_type) for e in grip[RIGHT_KEY]] == [(0, "rel"), (4, "abs")]
    assert len(grip[LEFT_KEY]) == 1


def test_entries_in_the_wrong_file_are_reported(scene_fx):
    from robomask.prompts import PromptEntry, PromptSet, write_prompts

    odd = PromptSet()
    odd.entries[ARM_KEY] = [PromptEntry(1, 0, ((5.0, 5.0),), (1,))]
    odd.entries[RIGHT_KEY] = [PromptEntry(1, 3, ((80.0, 5.0),), (1,))]
    write_prompts(scene_fx.camera_dir / "annotation_prompts_arm_points.json", odd)
    with TestClient(create_app(_ctx(scene_fx)), base_url=BASE) as c:
        st = c.get("/api/state").json()
    assert _clicks(st, 1, 0) is not None and _clicks(st, 1, 3) is None
    assert any("annotation_prompts_arm_points.json: 1 GRIPPER_RIGHT_KEYFRAME_PROMPTS entries"
               in p["message"] for p in st["problems"])


def test_a_broken_prompt_file_stops_append_mode_only(scene_fx):
    from robomask.errors import PromptError

    (scene_fx.camera_dir / "annotation_prompts_gripper_points.json").write_text("{oops")
    with pytest.raises(PromptError, match="line 1, column 2") as e:
        _ctx(scene_fx)
    assert "--mode overwrite" in str(e.value)
    assert _ctx(scene_fx, mode="overwrite").state.prompts.is_empty()


def test_undo_and_clear(client):
    _click(client, 5, 0, 40.0, 10.0)
    _click(client, 5, 0, 41.0, 11.0, label=0)
    st = client.post("/api/clear", json={"frame_index": 5, "obj_id": 0}).json()
    assert _clicks(st, 5, 0) is None
    assert client.get("/api/preview", params={"frame_index": 5, "obj_id": 0}).status_code == 204
    res = client.post("/api/undo").json()  # undoes the clear
    assert res["undone"] == {"frame_index": 5, "obj_id": 0}
    assert _clicks(res["state"], 5, 0)["labels"] == [1, 0]
    res = client.post("/api/undo").json()  # undoes the negative click
    assert _clicks(res["state"], 5, 0)["labels"] == [1]
    client.post("/api/undo")
    res = client.post("/api/undo").json()  # nothing left this session; disk entries stay
    assert res["undone"] is None and _clicks(res["state"], 0, 0) is not None


def test_warnings_follow_each_change(client):
    assert client.get("/api/state").json()["problems"] == []
    st = _click(client, 3, 2, 90.0, 10.0).json()  # left gripper, right edge
    st = _click(client, 3, 2, 91.0, 12.0).json()
    messages = [p["message"] for p in st["problems"]]
    assert any("probably swapped" in m for m in messages), messages
    st = _click(client, 3, 3, 10.0, 10.0).json()  # right gripper: 1 point vs 2 on frame 3
    unequal = [p for p in st["problems"] if p["frame_index"] == 3]
    assert unequal and "left gripper has 2 points, right has 1" in unequal[0]["message"]
    st = _click(client, 3, 3, 12.0, 12.0).json()
    assert not [p for p in st["problems"] if p["frame_index"] == 3]


# --- failures: messages, never a dead server ---

def test_preview_failure_is_a_message(make_scene):
    sc = make_scene(backend="no-such-backend")
    with TestClient(create_app(_ctx(sc)), base_url=BASE) as c:
        _click(c, 1, 0, 30.0, 10.0)
        for _ in range(2):
            r = c.get("/api/preview", params={"frame_index": 1, "obj_id": 0})
            assert r.status_code == 503
            assert "no preview: backend 'no-such-backend'" in r.json()["detail"]
        assert c.get("/api/state").status_code == 200
        assert c.post("/api/save").status_code == 200  # saving works without a backend


MALFORMED = [
    ("content", b"{not json"),
    ("content", b"[1, 2]"),
    ("content", b'{"frame_index": 1, "obj_id": 0, "x": NaN, "y": 1, "label": 1}'),
    ("content", b'{"frame_index": 1, "obj_id": 0, "x": 1e999, "y": 1, "label": 1}'),
    ("content", "\u00ff\u00fe".encode("utf-16")),
    ("json", {}),
    ("json", {"frame_index": 1, "obj_id": 0, "x": 1, "y": 1}),
    ("json", {"frame_index": "1", "obj_id": 0, "x": 1, "y": 1, "label": 1}),
    ("json", {"frame_index": 1.5, "obj_id": 0, "x": 1, "y": 1, "label": 1}),
    ("json", {"frame_index": 1, "obj_id": 0, "x": 1, "y": 1, "label": 2}),
    ("json", {"frame_index": 1, "obj_id": 0, "x": "a", "y": 1, "label": 1}),
    ("json", {"frame_index": 1, "obj_id": 0, "x": 1, "y": 1, "label": 1, "path": "/etc"}),
    ("json", {"frame_index": 99, "obj_id": 0, "x": 1, "y": 1, "label": 1}),
    ("json", {"frame_index": -1, "obj_id": 0, "x": 1, "y": 1, "label": 1}),
    ("json", {"frame_index": 1, "obj_id": 7, "x": 1, "y": 1, "label": 1}),
    ("json", {"frame_index": 1, "obj_id": 0, "x": 96, "y": 1, "label": 1}),
    ("json", {"frame_index": 1, "obj_id": 0, "x": -0.5, "y": 1, "label": 1}),
    ("json", {"frame_index": 10**30, "obj_id": 0, "x": 1, "y": 1, "label": 1}),
    ("json", {"frame_index": [1], "obj_id": {"a": 1}, "x": None, "y": 1, "label": 1}),
]


@pytest.mark.parametrize(("kind", "body"), MALFORMED)
def test_malformed_clicks_get_4xx_and_the_server_goes_on(client, kind, body):
    before = client.get("/api/state").json()["clicks"]
    headers = {"content-type": "application/json"}
    r = client.post("/api/click", headers=headers, **{kind: body})
    assert 400 <= r.status_code < 500, r.text
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    st = client.get("/api/state")
    assert st.status_code == 200 and st.json()["clicks"] == before


@pytest.mark.parametrize("query", [{}, {"frame_index": "x", "obj_id": 0},
                                   {"frame_index": 0, "obj_id": 9},
                                   {"frame_index": 100, "obj_id": 0}])
def test_bad_preview_requests_get_4xx(client, query):
    r = client.get("/api/preview", params=query)
    assert 400 <= r.status_code < 500 and isinstance(r.json()["detail"], str)


def test_other_bodies_are_checked(client):
    assert client.post("/api/clear", json={"frame_index": 0}).status_code == 422
    assert client.post("/api/clear", json={"frame_index": 0, "obj_id": 5}).status_code == 400
    assert client.post("/api/save", content=b"\x00garbage").status_code == 200  # no body read


# --- safety ---

@pytest.fixture
def live(scene_fx):
    """The app on a real uvicorn thread: requests go through HTTP parsing unchanged."""
    srv = AnnotateServer(_ctx(scene_fx), host="127.0.0.1", port=0)
    srv.start()
    yield srv
    srv.stop()


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)  # http.client sends the path as given: no normalising
    resp = conn.getresponse()
    status, body = resp.status, resp.read()
    conn.close()
    return status, body


TRAVERSALS = [
    "/api/frame/../../../../etc/passwd",
    "/api/frame/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/api/frame/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/api/frame/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/api/frame//etc/passwd",
    "/api/frame/%2fetc%2fpasswd",
    "/api/frame/0/../../../../pyproject.toml",
    "/api/mask/..%2f..%2f..%2fetc/0",
    "/api/mask/arm/..%2f..%2fetc%2fpasswd",
    "/static/../../../../etc/passwd",
    "/static/..%2f..%2f..%2fpyproject.toml",
    "/static/%2e%2e%2fserver.py",
    "/static/%252e%252e%252fserver.py",
    "/static//etc/passwd",
    "/static/index.html/../../server.py",
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused(live, path):
    status, body = _raw_get(live.port, path)
    assert 400 <= status < 500, (path, status)
    assert b"root:" not in body and b"[build-system]" not in body and b"import" not in body
    assert "detail" in json.loads(body)
    assert _raw_get(live.port, "/api/state")[0] == 200  # still serving


def test_foreign_host_and_origin_are_refused_on_loopback(scene_fx):
    app = create_app(_ctx(scene_fx))
    with TestClient(app, base_url="http://attacker.example:8765") as c:
        r = c.get("/api/state")  # DNS rebinding: a page on another name reaching us
        assert r.status_code == 403 and "loopback Host" in r.json()["detail"]
    with TestClient(app, base_url=BASE) as c:
        r = c.post("/api/save", headers={"origin": "http://attacker.example"})
        assert r.status_code == 403
        assert c.post("/api/save", headers={"origin": BASE}).status_code == 200


def test_non_loopback_host_requires_the_token(scene_fx):
    srv = AnnotateServer(_ctx(scene_fx), host="0.0.0.0", port=0)
    try:
        assert srv.token and f"token={srv.token}" in srv.url()
        with TestClient(srv.app, base_url="http://192.0.2.10:8765") as c:
            for path in ("/", "/api/state", "/api/frame/0", "/api/mask/arm/0"):
                r = c.get(path)
                assert r.status_code == 403 and "access token" in r.json()["detail"], path
            assert c.post("/api/save").status_code == 403
            assert c.get("/api/state", params={"token": "wrong"}).status_code == 403
            assert c.get("/api/state", params={"token": "\u00e9t\u00e9"}).status_code == 403
            assert c.get("/static/app.js").status_code == 200  # the page's code is public
            r = c.get("/", params={"token": srv.token})
            assert r.status_code == 200 and "robomask annotate" in r.text
            assert c.get("/api/state").status_code == 200  # the cookie now carries it
            assert c.post("/api/save").status_code == 200
        with TestClient(srv.app, base_url="http://192.0.2.10:8765") as fresh:
            assert fresh.post("/api/save", params={"token": srv.token}).status_code == 200
    finally:
        srv.sock.close()


# --- CLI and notebook ---

def test_cli_refuses_a_busy_port_and_a_bad_frame(scene_fx, capsys):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        args = ["annotate", "--config", str(scene_fx.config_path), "--scene", scene_fx.name]
        with pytest.raises(SystemExit) as e:
            main([*args, "--port", str(busy.getsockname()[1])])
        assert e.value.code == 2 and "expected a free address" in capsys.readouterr().err
        with pytest.raises(SystemExit) as e:
            main([*args, "--frame", "50", "--port", "0"])
        assert e.value.code == 2 and "frame_index: expected 0..7, got 50" in (
            capsys.readouterr().err)
        with pytest.raises(SystemExit) as e:
            main([*args, "--mode", "replace", "--port", "0"])
        assert e.value.code == 2 and "expected 'append' or 'overwrite'" in (
            capsys.readouterr().err)
    finally:
        busy.close()


def test_base_install_works_without_the_ui_extra(scene_fx):
    import subprocess
    import sys

    code = f"""
import sys
sys.modules["fastapi"] = None  # as if 'robomask[ui]' were not installed
import robomask.annotator.notebook, robomask.cli.main
assert "uvicorn" not in sys.modules
robomask.cli.main.main(["annotate", "--config", {str(scene_fx.config_path)!r}, "--port", "0"])
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "robomask annotate needs the Python package 'fastapi'" in r.stderr
    assert "pip install 'robomask[ui]'" in r.stderr


def test_cli_prints_the_url_and_serves(scene_fx):
    import re
    import subprocess
    import sys

    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "robomask.cli.main", "annotate", "--config",
         str(scene_fx.config_path), "--scene", scene_fx.name, "--port", "0", "--frame", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        url = re.search(r"http://127\.0\.0\.1:\d+/\?frame=4", "".join(lines))
        assert url, lines
        st = httpx.get(url.group(0).split("?")[0] + "api/state", timeout=10).json()
        assert st["scene"] == scene_fx.name and st["start_frame"] == 4
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_notebook_handle_waits_for_save(scene_fx):
    import httpx

    import robomask
    h = robomask.annotate(scene_fx.name, config=scene_fx.config_path, frame=2, display=False)
    try:
        assert h.url.startswith("http://127.0.0.1:") and h.url.endswith("/?frame=2")
        assert h.wait(timeout=0.05) is None  # nothing saved yet
        base = h.url.split("?")[0]
        r = httpx.post(base + "api/click", json={"frame_index": 2, "obj_id": 3, "x": 80.0,
                                                 "y": 9.0, "label": 1})
        assert r.status_code == 200 and h.unsaved
        assert [e.frame_index for e in h.prompts()[RIGHT_KEY]] == [0, 2]
        assert httpx.post(base + "api/save").status_code == 200
        saved = h.wait(timeout=10)
        assert saved is not None and [e.frame_index for e in saved[RIGHT_KEY]] == [0, 2]
        assert h.wait(timeout=0.05) is None  # each save is reported once
    finally:
        h.stop()
        h.stop()
    import robomask.annotator.server  # noqa: F401  importing the UI package changes nothing
    h2 = robomask.annotate(scene_fx.name, config=scene_fx.config_path, display=False)
    h2.stop()


def test_oversized_body_is_refused_and_server_goes_on(client):
    r = client.post("/api/click", content=b"x" * (64 * 1024 + 1),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "at most 65536 bytes" in r.json()["detail"]
    assert client.get("/api/state").status_code == 200


def _raw_post(port: int, head: bytes, chunks: list[bytes]) -> tuple[int, bytes]:
    """Send a request head and body chunks on a raw socket, then read the answer without
    finishing the body; (status, body)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(head + b"".join(chunks))
        reply = b""
        while not _complete(reply):
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    finally:
        sock.close()
    return int(reply.split()[1]), reply.split(b"\r\n\r\n", 1)[-1]


def _complete(reply: bytes) -> bool:
    """True once the head and as many body bytes as its content-length have arrived."""
    if b"\r\n\r\n" not in reply:
        return False
    head, body = reply.split(b"\r\n\r\n", 1)
    lengths = [int(ln.split(b":")[1]) for ln in head.lower().split(b"\r\n")
               if ln.startswith(b"content-length:")]
    return len(body) >= (lengths[0] if lengths else 0)


def test_chunked_body_is_refused_as_soon_as_it_passes_the_cap(live):
    """A 300 MB chunked body used to be read whole; now the answer comes after ~64 KiB,
    while the client is still sending (the body is never finished here)."""
    head = (b"POST /api/click HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
            b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (16384, b" " * 16384)
    status, body = _raw_post(live.port, head, [chunk] * 5)  # 80 KiB of 300 MB
    assert status == 413 and b"at most 65536 bytes" in body
    assert _raw_get(live.port, "/api/state")[0] == 200


def test_bad_content_length_is_refused(live):
    head = (b"POST /api/click HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
            b"\r\nContent-Length: 1e9\r\n\r\n")
    status, body = _raw_post(live.port, head, [])
    assert status in (400, 413)
