"""Write docs/api.md, the reference of rationalerm's public API, from the code: the names of ``rationalerm.__all__``
in the groups of ``rationalerm._SECTIONS``, each with its signature and docstring (classes also with their public
methods), then the deprecated names and their replacements (``rationalerm._DEPRECATED``).

    python scripts/gen_api_docs.py            # rewrite docs/api.md
    python scripts/gen_api_docs.py --check    # exit 1 when docs/api.md is not what the code says (tests/test_api.py)

The page depends on the code alone (no addresses, no dates), so the same code always gives the same page.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "api.md"
WIDTH = 100  # a signature longer than this is written one parameter a line

HEADER = """\
# rationalerm API reference

Generated from the docstrings by `python scripts/gen_api_docs.py`; do not edit by hand (`tests/test_api.py` checks
that this page is current). Everything here is importable from the package: `from rationalerm import judge`. Other
modules are importable too, but only these names are kept stable between releases.
"""


def _default(value: Any) -> str:
    text = repr(value)
    # An object's default repr holds its address, which changes from run to run: show its type instead.
    return re.sub(r" object at 0x[0-9a-f]+>", " object>", text)


def _parameter(parameter: inspect.Parameter) -> str:
    text = parameter.name
    if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
        text = "*" + text
    elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
        text = "**" + text
    if parameter.annotation is not inspect.Parameter.empty:
        text += f": {_annotation(parameter.annotation)}"
    if parameter.default is not inspect.Parameter.empty:
        text += f" = {_default(parameter.default)}" if ":" in text else f"={_default(parameter.default)}"
    return text


def _annotation(annotation: Any) -> str:
    if isinstance(
        annotation, str
    ):  # the package uses `from __future__ import annotations`: the text as written
        return annotation
    return inspect.formatannotation(annotation)


def _parameters(signature: inspect.Signature) -> list[str]:
    out: list[str] = []
    kinds = [p.kind for p in signature.parameters.values()]
    for i, parameter in enumerate(signature.parameters.values()):
        if (
            parameter.kind is inspect.Parameter.KEYWORD_ONLY
            and inspect.Parameter.VAR_POSITIONAL not in kinds[:i]
        ):
            if "*" not in out:
                out.append("*")
        out.append(_parameter(parameter))
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY and (
            i + 1 == len(kinds) or kinds[i + 1] is not inspect.Parameter.POSITIONAL_ONLY
        ):
            out.append("/")
    return out


def signature_text(prefix: str, name: str, obj: Any, *, drop_self: bool = False) -> str:
    """``prefix name(parameters) -> return``, wrapped one parameter a line when longer than WIDTH."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # a builtin without a signature
        return f"{prefix}{name}(...)"
    if drop_self:
        parameters = list(signature.parameters.values())[1:]
        signature = signature.replace(parameters=parameters)
    params = _parameters(signature)
    returns = ""
    if signature.return_annotation is not inspect.Signature.empty:
        returns = f" -> {_annotation(signature.return_annotation)}"
    one_line = f"{prefix}{name}({', '.join(params)}){returns}"
    if len(one_line) <= WIDTH:
        return one_line
    body = "".join(f"    {p},\n" for p in params)
    return f"{prefix}{name}(\n{body}){returns}"


def _doc(obj: Any) -> str:
    return inspect.getdoc(obj) or ""


def _own_methods(cls: type) -> list[tuple[str, Any]]:
    """Public methods and properties defined in ``cls`` itself (not inherited), in source order."""
    out: list[tuple[str, Any]] = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property) or inspect.isfunction(member):
            out.append((name, member))
        elif isinstance(member, (classmethod, staticmethod)):
            out.append((name, member.__func__))
    return out


def _is_exception(obj: Any) -> bool:
    return inspect.isclass(obj) and issubclass(obj, BaseException)


def render_name(name: str, obj: Any) -> str:
    lines = [f"### `{name}`", ""]
    if inspect.isclass(obj):
        if _is_exception(obj):
            bases = ", ".join(base.__name__ for base in obj.__bases__)
            head = f"class {name}({bases})"
            if "__init__" in vars(obj):
                init = signature_text("    def ", "__init__", obj.__init__).replace("\n", "\n    ")
                head = f"class {name}({bases}):\n{init}"
        else:
            head = signature_text("class ", name, obj)
        lines += ["```python", head, "```", "", _doc(obj), ""]
        if not _is_exception(obj):
            for method_name, method in _own_methods(obj):
                if isinstance(method, property):
                    head = f"{name}.{method_name}  (property)"
                    doc = _doc(method.fget)
                else:
                    prefix = "async def " if inspect.iscoroutinefunction(method) else "def "
                    head = signature_text(prefix, f"{name}.{method_name}", method, drop_self=True)
                    doc = _doc(method)
                lines += ["```python", head, "```", ""]
                if doc:
                    lines += [doc, ""]
    else:
        prefix = "async def " if inspect.iscoroutinefunction(obj) else "def "
        lines += ["```python", signature_text(prefix, name, obj), "```", "", _doc(obj), ""]
    return "\n".join(lines)


def render() -> str:
    """The whole page, from the code of the rationalerm that ``import rationalerm`` finds."""
    import rationalerm

    parts = [HEADER]
    intro = _doc(rationalerm).split("\n\n")
    # The package docstring's paragraph on sync and async is the rule this page follows.
    parts += [paragraph + "\n" for paragraph in intro if "sync" in paragraph and "async" in paragraph]
    parts.append("## Contents\n")
    for section, names in rationalerm._SECTIONS.items():
        parts.append(f"- **{section}**: " + ", ".join(f"`{name}`" for name in names))
    parts.append("")
    for section, names in rationalerm._SECTIONS.items():
        parts.append(f"## {section}\n")
        for name in names:
            parts.append(render_name(name, getattr(rationalerm, name)))
    parts.append("## Deprecated names\n")
    parts.append(
        "These names of the previous release still work from `rationalerm` for one release and warn with a\n"
        "`DeprecationWarning` that names the replacement.\n"
    )
    parts.append("| name | use instead |\n|---|---|")
    for old, (_, instead) in sorted(rationalerm._DEPRECATED.items(), key=lambda item: item[0].lower()):
        parts.append(f"| `{old}` | `rationalerm.{instead}` |")
    text = "\n".join(parts)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/api.md is not current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if current != text:
            print(
                f"{TARGET.relative_to(ROOT)} is not current: run python scripts/gen_api_docs.py",
                file=sys.stderr,
            )
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
