"""``robomask annotate``: the browser page for clicking prompt points on one scene."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from robomask.cli.common import ConfigOption, console, open_config
from robomask.errors import SceneError


def annotate(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: Annotated[str | None, typer.Option(
        "--scene", help="Scene to annotate (default: the config's scene_name).")] = None,
    port: Annotated[int, typer.Option(help="Port to listen on; 0 = any free one.")] = 8765,
    host: Annotated[str, typer.Option(
        help="Address to listen on. Anything but loopback (e.g. 0.0.0.0) adds a random "
             "access token to the URL.")] = "127.0.0.1",
    mode: Annotated[str, typer.Option(
        help="append: start from the prompt files on disk; overwrite: start empty "
             "(the files are replaced on save).")] = "append",
    frame: Annotated[int, typer.Option(help="Frame the page opens at.")] = 0,
    backend: Annotated[str | None, typer.Option(
        help="Backend for the live preview (default: the config's backend).")] = None,
) -> None:
    """Open a local page to click arm/gripper points, with a live mask preview."""
    from robomask.annotator.serve import AnnotateServer  # needs the 'ui' extra
    from robomask.annotator.server import make_context
    from robomask.scenes import scene as find_scene

    cfg = open_config(config, backend=backend)
    name = scene or cfg.scene_name
    if not name:
        raise SceneError("no scene selected: expected --scene or the config key scene_name, "
                         "got neither")
    ctx = make_context(cfg, find_scene(cfg, name), mode=mode, start_frame=frame)  # type: ignore[arg-type]
    server = AnnotateServer(ctx, host=host, port=port)
    console.print(f"annotating {name} ({len(ctx.frames)} frames, preview backend "
                  f"'{cfg.backend}', mode {mode})")
    console.print(f"open [bold]{server.url(frame=frame or None)}[/] (Ctrl-C stops)",
                  soft_wrap=True)
    if server.token:
        console.print("listening beyond this machine: keep the token in the URL private")
    try:
        server.run()
    finally:
        ctx.close()


def register(app: typer.Typer) -> None:
    app.command()(annotate)
