"""What the sam3 backend needs around the official predictor: the BPE vocabulary the
0.1.4 wheel lacks, and a shutdown that cannot hang on dead worker processes."""

from __future__ import annotations

import logging
import os
import signal
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

from robomask._optional import available
from robomask.errors import BackendError

log = logging.getLogger(__name__)

BPE_NAME = "bpe_simple_vocab_16e6.txt.gz"
BPE_HINT = (f"get {BPE_NAME} (sam3 GitHub repository, sam3/assets/) and set sam3_bpe_path")


def find_bpe(configured: Path | None) -> Path:
    """The BPE vocabulary: ``sam3_bpe_path`` if set, else the first installed copy.

    The 0.1.4 wheel does not ship ``sam3/assets/bpe_simple_vocab_16e6.txt.gz``; open_clip
    and a source checkout of sam3 do, so installed distributions are searched.

    Raises:
        BackendError: The configured file is missing, or no copy is installed.
    """
    if configured is not None:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise BackendError(f"config key 'sam3_bpe_path': expected the file {BPE_NAME}, "
                               f"got nothing at {path}", hint=BPE_HINT)
        return path
    found = installed_bpe()
    if found is None:
        raise BackendError(f"sam3 backend: expected {BPE_NAME} (sam3_bpe_path or an installed "
                           "package), got none", hint=BPE_HINT)
    return found


def installed_bpe() -> Path | None:
    """First ``bpe_simple_vocab_16e6.txt.gz`` among the installed distributions' files."""
    for dist in metadata.distributions():
        for file in dist.files or ():
            if file.name == BPE_NAME:
                path = Path(str(dist.locate_file(file)))
                if path.is_file():
                    return path
    return None


def shutdown_predictor(predictor: Any, timeout_s: float) -> None:
    """``predictor.shutdown()`` with a time limit, then clean up whatever it left.

    sam3 0.1.4's shutdown waits without a limit for each worker's acknowledgement; a
    worker that died (Ctrl-C reaches the whole process group) never sends one.
    """
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            predictor.shutdown()
        except BaseException as exc:  # reported below; the thread must not die silently
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="sam3-shutdown", daemon=True).start()
    if done.wait(timeout_s) and not failure:
        return
    log.warning("sam3 predictor shutdown %s; stopping its worker processes",
                f"failed: {failure[0]!r}" if failure else f"took over {timeout_s:g} s")
    for pid in dict(getattr(predictor, "worker_pids", None) or {}).values():
        _kill(pid)
    if available("torch"):
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
