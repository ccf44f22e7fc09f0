"""YAML for config files, without the traps of full YAML.

Beyond ``yaml.safe_load`` this refuses, with the line and column:

- an alias (``*name``) of a list or mapping: nested ones expand exponentially (a 3 KB
  "billion laughs" file takes gigabytes); aliases of plain values are kept;
- nesting deeper than :data:`MAX_DEPTH` (a deep file would exhaust Python's stack);
- a key given twice in one mapping (YAML keeps the last one silently);
- an integer of more than :data:`MAX_INT_DIGITS` digits.
"""

from __future__ import annotations

from typing import Any

import yaml

from robomask.errors import RobomaskError, excerpt

MAX_DEPTH = 32
MAX_INT_DIGITS = 30


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that a config may not use; ``problem`` says "expected X, got Y"."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and not isinstance(target, yaml.ScalarNode):
                raise _Refused(f"expected aliases of plain values only, got "
                               f"*{event.anchor[:40]} naming a list or mapping",
                               event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"expected at most {MAX_DEPTH} levels of nesting, got more",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = (key_node.tag, key_node.value)
                if key in first:
                    raise _Refused(f"expected each key once, got {excerpt(key_node.value)} "
                                   f"again (first on line {first[key].line + 1})",
                                   key_node.start_mark)
                first[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> int:
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise _Refused(f"expected an integer of at most {MAX_INT_DIGITS} digits, got "
                           f"one of {digits}", node.start_mark)
        return super().construct_yaml_int(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def load_yaml(text: str, *, source: str, error: type[RobomaskError] = RobomaskError) -> Any:
    """Parse one YAML document strictly (see the module docstring).

    Raises:
        error: A syntax error or a refused construct, naming ``source``, line and column.
    """
    loader = None
    try:
        loader = _StrictLoader(text)  # its reader already refuses control characters
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]  # one line
        if isinstance(exc, _Refused):
            raise error(f"{source}{where}: {problem}") from exc
        raise error(f"{source}: expected valid YAML, got a syntax error{where}: "
                    f"{problem[:200]}") from exc
    except RecursionError as exc:  # pragma: no cover - MAX_DEPTH stops it first
        raise error(f"{source}: expected at most {MAX_DEPTH} levels of nesting, got more") \
            from exc
    finally:
        if loader is not None:
            loader.dispose()
