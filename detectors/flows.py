"""Prefect flow entrypoints found by reading source, never by importing user code.

A flow is a module-level function (sync or async) decorated with Prefect's ``flow``, resolved
through the module's own imports: ``@flow`` counts only where ``flow`` was imported from
``prefect`` (or ``prefect.flows``), so ``from mylib import flow`` does not make one. Prefect's
own search (``prefect.cli._prompts.search_for_flow_functions``) matches the text ``flow``
instead: it misses aliases (``import prefect as pf``) and lists methods and nested functions,
whose ``file.py:func`` entrypoint cannot be loaded. We list only what an entrypoint can load.

Speed: a project with a virtualenv or vendored code holds thousands of ``.py`` files, few of
them flows. Whole directories that are never project code are pruned, as is what the root's
``.gitignore``/``.prefectignore`` exclude; of the files left, only those whose bytes mention
``prefect``, ``flow`` and ``@`` are parsed (a file that never says "prefect" cannot import
Prefect's flow decorator under any alias).
"""

from __future__ import annotations

import ast
import errno
import keyword
import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from flowwiz.detectors.errors import DetectionError
from flowwiz.detectors.ignore_rules import IgnoreRules, load_ignore

ParameterKind = Literal["positional", "keyword_only", "var_positional", "var_keyword"]

# Directories that are never a project's own flow code: VCS data, caches, installed packages,
# build output. Matched by name at any depth; virtualenvs are matched by their pyvenv.cfg.
PRUNED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        "site-packages",
        "dist-packages",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
        "build",
        "dist",
    }
)
PROGRESS_EVERY = 250  # files between two progress callbacks

# What `flow` must resolve to. prefect.main is where prefect/__init__.py gets it from.
_FLOW_TARGETS = frozenset({"prefect.flow", "prefect.flows.flow", "prefect.main.flow"})
# Prefect's Flow class: `Flow(fn, name=...)` makes a flow too
_FLOW_CLASS_TARGETS = frozenset({"prefect.Flow", "prefect.flows.Flow", "prefect.main.Flow"})
# Star imports that bind `flow` (prefect.__all__ lists it; prefect.flows has no __all__).
_STAR_FLOW_MODULES = frozenset({"prefect", "prefect.flows", "prefect.main"})
# top-level packages never looked for among the repository's modules
_NOT_REPOSITORY = frozenset({"prefect", *sys.stdlib_module_names})
# the line breaks Python's tokenizer knows (str.splitlines also splits on \f, \v, \x1c...)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TRY_NODES: tuple[type[ast.stmt], ...] = tuple(
    node for node in (ast.Try, getattr(ast, "TryStar", None)) if node is not None
)


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    annotation: str | None  # source text, e.g. "int", "list[str]", "Optional[int]"
    default: str | None  # source text of the default, None when required
    kind: ParameterKind

    @property
    def required(self) -> bool:
        return self.default is None and self.kind in ("positional", "keyword_only")


@dataclass(frozen=True, slots=True)
class Flow:
    entrypoint: str  # "flows/etl.py:etl" (POSIX path relative to the root)
    path: str  # "flows/etl.py"
    function: str
    # the name Prefect gives the flow: the `@flow(name=...)` string literal, else the function
    # name with "_" made "-" as Prefect's Flow() does (prefect/flows.py), so `my_etl` -> "my-etl"
    name: str
    description: str | None  # `description=` literal, else the docstring's first line
    line: int  # line of the `def`
    is_async: bool
    parameters: tuple[Parameter, ...]
    # the description Prefect gives the deployment: `description=` literal, else the WHOLE
    # docstring cleaned as inspect.getdoc does (prefect/flows.py: description or getdoc(fn))
    docstring: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str  # one line, e.g. "does not decode as UTF-8", "syntax error line 3: invalid syntax"


@dataclass(frozen=True, slots=True)
class FlowScan:
    root: Path
    flows: tuple[Flow, ...]  # sorted by (path, line)
    skipped: tuple[Skipped, ...]
    files_seen: int  # .py files walked
    files_parsed: int  # how many passed the cheap pre-filter and were parsed


# ---------------------------------------------------------------------------------------------
# public API


def find_flows(root: Path, *, progress: Callable[[int], None] | None = None) -> FlowScan:
    """Every flow under ``root``; unreadable or unparsable files are reported, not fatal.

    ``progress`` is called with the number of ``.py`` files seen so far, every
    ``PROGRESS_EVERY`` files and with the final count at the end.
    """
    root = Path(root)
    if not root.is_dir():
        raise DetectionError(f"{root} is not a directory")
    rules = load_ignore(root)
    repo = _Repo(root)
    flows: list[Flow] = []
    skipped: list[Skipped] = []
    left: list[tuple[str, str]] = []  # files the pre-filter passed over
    factories: set[str] = set()
    seen = parsed = 0
    for relpath, fullpath in _walk_python_files(root, rules, skipped):
        seen += 1
        if progress is not None and seen % PROGRESS_EVERY == 0:
            progress(seen)
        try:
            data = _read(fullpath)
        except OSError as exc:
            skipped.append(Skipped(relpath, f"cannot be read: {exc.strerror or exc}"))
            continue
        if not _may_define_flow(data):
            left.append((relpath, fullpath))
            continue
        parsed += 1
        try:
            finder = _finder_for_source(data, relpath, repo)
        except _Unparsable as exc:
            skipped.append(Skipped(relpath, exc.reason))
            continue
        flows.extend(finder.flows)
        factories.update(finder.factories)
    if factories:
        # a decorator factory of the repository (`def team_flow(**kw): return flow(**kw)`) is
        # used by files that never say "prefect": parse those that name one
        names = [name.encode() for name in factories]
        for relpath, fullpath in left:
            try:
                data = _read(fullpath)
            except OSError:
                continue
            if not any(name in data for name in names):
                continue
            parsed += 1
            try:
                flows.extend(_finder_for_source(data, relpath, repo).flows)
            except _Unparsable as exc:
                skipped.append(Skipped(relpath, exc.reason))
    if progress is not None and (seen == 0 or seen % PROGRESS_EVERY):
        progress(seen)  # the final count, unless the last periodic call already gave it
    return FlowScan(
        root=root,
        flows=tuple(sorted(flows, key=lambda f: (f.path, f.line))),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        files_seen=seen,
        files_parsed=parsed,
    )


def flows_in_file(root: Path, relpath: str) -> tuple[Flow, ...]:
    """The flows of one file (e.g. the file of an entrypoint typed by hand), no pre-filter.

    ``relpath`` may be relative to ``root`` or absolute inside it. Raises DetectionError when
    the file is outside ``root``, missing, unreadable or does not parse.
    """
    root = Path(root)
    rel = _relative_inside(root, relpath)
    full = root / rel
    if not full.is_file():
        raise DetectionError(f"{rel}: no such file in {root}")
    try:
        data = _read(str(full))
    except OSError as exc:
        raise DetectionError(f"{rel}: cannot be read: {exc.strerror or exc}") from None
    try:
        return tuple(_finder_for_source(data, rel, _Repo(root)).flows)
    except _Unparsable as exc:
        raise DetectionError(f"{rel}: {exc.reason}") from None


def parse_entrypoint(text: str) -> tuple[str, str]:
    """``"flows/etl.py:etl"`` -> ``("flows/etl.py", "etl")``; a static or class method flow is
    ``"flows/jobs.py:Jobs.run"`` -> ``("flows/jobs.py", "Jobs.run")`` (Prefect's
    ``import_object`` follows the dots with getattr)."""
    path, sep, func = text.strip().rpartition(":")
    path = path.strip()
    func = func.strip()
    parts = func.split(".")
    if (
        not sep
        or not path.endswith(".py")
        or path == ".py"
        or len(parts) > 2
        or not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts)
    ):
        raise DetectionError(
            f"invalid entrypoint {text!r}: expected <path/to/file.py>:<function> (or"
            " <Class>.<method> for a static or class method), e.g. flows/etl.py:etl"
        )
    return path, func


# ---------------------------------------------------------------------------------------------
# walking and reading


def _walk_python_files(
    root: Path, rules: IgnoreRules, skipped: list[Skipped]
) -> Iterable[tuple[str, str]]:
    """(POSIX relpath, full path) of each .py file to consider, in sorted order.

    A scandir walk rather than os.walk: it builds each path once, which matters at tens of
    thousands of files. Symlinked directories are never entered (no loops), as with
    ``os.walk(followlinks=False)`` and git.
    """
    stack = [(str(root), "")]
    while stack:
        top, prefix = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        try:
            with os.scandir(top) as entries:
                for entry in entries:
                    if _is_real_dir(entry):
                        dirs.append(entry.name)
                    elif entry.name.endswith(".py") or entry.name == "pyvenv.cfg":
                        if not (entry.is_symlink() and _is_dir(entry)):
                            files.append(entry.name)
        except OSError as exc:
            skipped.append(Skipped(prefix.rstrip("/") or ".", f"cannot be listed: {exc.strerror}"))
            continue
        if prefix and "pyvenv.cfg" in files:
            continue  # a virtualenv: installed code, never the project's (the root may be one)
        for name in sorted(files):
            relpath = prefix + name
            if name.endswith(".py") and not (rules and rules.file_ignored_in_walk(relpath)):
                yield relpath, top + os.sep + name
        for name in sorted(dirs, reverse=True):  # popped in sorted order
            if name in PRUNED_DIRS or name.endswith(".egg-info"):
                continue
            if rules and rules.may_prune(prefix + name + "/"):
                continue
            stack.append((top + os.sep + name, prefix + name + "/"))


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


# O_NONBLOCK: a FIFO named *.py must not hang the scan; O_BINARY: no newline translation
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_CHUNK = 1 << 16
MAX_SOURCE_BYTES = 16 << 20  # larger .py files are generated code, not flows (and /dev/zero)


def _read(path: str) -> bytes:
    """A file's bytes, with raw os calls: a third of the cost of open() in a 15,000-file scan.

    No fstat: a short read of a regular file is its end, which is all a source file needs.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        data = os.read(fd, _CHUNK)
        if len(data) < _CHUNK:
            return data
        chunks = [data]
        size = len(data)
        while chunk := os.read(fd, _CHUNK * 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_SOURCE_BYTES:
                raise _TooLarge()
        return b"".join(chunks)
    finally:
        os.close(fd)


class _TooLarge(OSError):
    def __init__(self) -> None:
        super().__init__(errno.EFBIG, f"larger than {MAX_SOURCE_BYTES >> 20} MB")


def _may_define_flow(data: bytes) -> bool:
    # every way to reach Prefect's decorator or Flow class spells "prefect" (the import) and
    # "flow"/"Flow" (the imported name or attribute). Files that use a decorator factory of the
    # repository without saying "prefect" are found by a second pass (find_flows).
    return b"prefect" in data and (b"flow" in data or b"Flow" in data)


class _Unparsable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _decode(data: bytes) -> str:
    """Source text as Python would read it: BOM, then PEP 263 coding cookie, else UTF-8."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown or inconsistent coding cookie
        raise _Unparsable(_one_line(exc.msg)) from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        label = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        raise _Unparsable(f"does not decode as {label}") from None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _parse(data: bytes, relpath: str) -> tuple[ast.Module, str]:
    source = _decode(data)
    try:
        return ast.parse(source, filename=relpath), source
    except SyntaxError as exc:
        where = f" line {exc.lineno}" if exc.lineno else ""
        raise _Unparsable(f"syntax error{where}: {_one_line(exc.msg)}") from None
    except ValueError as exc:  # null bytes on Python < 3.12
        raise _Unparsable(_one_line(str(exc))) from None
    except (RecursionError, MemoryError):
        raise _Unparsable("too deeply nested to parse") from None


# ---------------------------------------------------------------------------------------------
# finding flows in one module


def _flows_in_source(data: bytes, relpath: str, root: Path | None = None) -> list[Flow]:
    return _finder_for_source(data, relpath, _Repo(root) if root is not None else None).flows


def _finder_for_source(data: bytes, relpath: str, repo: _Repo | None) -> _FlowFinder:
    module, source = _parse(data, relpath)
    finder = _FlowFinder(relpath, source, repo)
    finder.visit_block(module.body, conditional=False)
    return finder


@dataclass(frozen=True, slots=True)
class _Factory:
    """A function of the repository that makes Prefect flows.

    ``call``: ``def team_flow(**kw): return flow(retries=1, **kw)``, used as ``@team_flow(...)``;
    ``plain``: ``def team_flow(fn): return flow(log_prints=True)(fn)``, used as ``@team_flow``.
    """

    kind: Literal["call", "plain"]
    name: str | None  # the name= its own flow() call gives, when known
    forwards: bool  # passes **kwargs on to flow(), so the caller's name= wins
    name_parameter: tuple[str, int] | None = None  # flow(name=<its parameter>): (name, index)

    def name_from(self, finder: _FlowFinder, call: ast.Call | None) -> str | None:
        """The flow name a use of this factory gives (``@team_flow(name="x")``)."""
        if call is not None and self.name_parameter is not None:
            param, index = self.name_parameter
            for kw in call.keywords:
                if kw.arg == param:
                    return finder.text_value(kw.value)
            if index < len(call.args):
                return finder.text_value(call.args[index])
        if call is not None and self.forwards:
            given = finder.keyword_text(call, "name")
            if given:
                return given
        return self.name


class _Repo:
    """The modules of one repository, read on demand (for constants and decorator factories
    imported from another module): a module is found as Prefect's loader finds it, beside the
    importing file (its directory is on sys.path) or from the root (the working directory)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.finders: dict[str, _FlowFinder | None] = {}
        self.lookups: dict[tuple[str, str, int], _FlowFinder | None] = {}

    def module(self, importer: str, module: str, level: int) -> _FlowFinder | None:
        key = (posixpath.dirname(importer), module, level)
        if key not in self.lookups:
            self.lookups[key] = self._module(importer, module, level)
        return self.lookups[key]

    def _module(self, importer: str, module: str, level: int) -> _FlowFinder | None:
        here = posixpath.dirname(importer)
        parts = [p for p in module.split(".") if p]
        if level:
            base = here
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            bases = [base]
        else:
            bases = [here, ""] if here else [""]
        for base in bases:
            stem = posixpath.join(base, *parts) if parts else base
            for rel in (f"{stem}.py" if parts else None, posixpath.join(stem, "__init__.py")):
                if rel is None:
                    continue
                rel = posixpath.normpath(rel)
                if rel.startswith("../"):
                    continue
                if rel in self.finders:
                    found = self.finders[rel]
                    if found is not None:
                        return found
                    continue
                full = self.root / rel
                if not full.is_file():
                    continue
                self.finders[rel] = None  # a cycle reads as nothing
                try:
                    finder = _finder_for_source(_read(str(full)), rel, self)
                except (OSError, _Unparsable):
                    continue
                self.finders[rel] = finder
                return finder
        return None


class _FlowFinder:
    """Follows a module's top-level statements in order, tracking what each name is bound to.

    Bindings map a local name to the dotted name it refers to (``pf`` -> ``prefect``; a relative
    import keeps its leading dots). Inside ``if``/``try``/loops a binding is added but an
    unrelated rebinding does not remove one, so ``try: from prefect import flow / except
    ImportError: def flow(...)`` still counts.

    Besides ``@flow`` functions it finds what Prefect's loader loads as flows: functions made
    flows by a decorator factory of the repository, module-level ``x = flow(...)(fn)`` /
    ``x = flow(fn)`` / ``x = Flow(fn, ...)`` assignments of a module-level function, and static
    or class methods of a module-level class (``file.py:Class.method``). Instance methods and
    nested functions are never flows: an entrypoint cannot run them. ``name=`` is read from a
    literal, a module-level string constant (of this module or one imported from another
    module of the repository) or an f-string of those.
    """

    def __init__(self, relpath: str, source: str, repo: _Repo | None = None) -> None:
        self.relpath = relpath
        self.source = source
        self.repo = repo
        self.lines: list[str] | None = None
        self.bindings: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.factories: dict[str, _Factory] = {}
        self.flows: list[Flow] = []

    # statements ---------------------------------------------------------------------------

    def visit_block(self, body: list[ast.stmt], *, conditional: bool) -> None:
        for stmt in body:
            self.visit_stmt(stmt, conditional=conditional)

    def visit_stmt(self, stmt: ast.stmt, *, conditional: bool) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.bind(alias.asname, alias.name, conditional)
                else:  # `import a.b` binds `a`
                    head = alias.name.split(".", 1)[0]
                    self.bind(head, head, conditional)
        elif isinstance(stmt, ast.ImportFrom):
            module = stmt.module or ""
            for alias in stmt.names:
                if alias.name == "*":
                    if stmt.level == 0 and module in _STAR_FLOW_MODULES:
                        self.bind("flow", f"{module}.flow", conditional)
                    continue
                # a relative import keeps its dots: never a Prefect target, still a repo module
                prefix = "." * stmt.level + (f"{module}." if module else "")
                self.bind(alias.asname or alias.name, prefix + alias.name, conditional)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            decoration = self.flow_decorator(stmt)
            if decoration is not None:
                self.flows.append(self.make_flow(stmt, *decoration))
            else:
                factory = self.factory_made_by(stmt)
                if factory is not None:
                    self.factories[stmt.name] = factory
            self.functions[stmt.name] = stmt
            self.constants.pop(stmt.name, None)
            self.bind(stmt.name, None, conditional)
        elif isinstance(stmt, ast.ClassDef):
            # instance methods are not flows an entrypoint can run: only static/class methods
            self.class_flows(stmt)
            self.bind(stmt.name, None, conditional)
        elif isinstance(stmt, ast.Assign):
            target = self.resolve(stmt.value)
            for tgt in stmt.targets:
                for name in _assigned_names(tgt):
                    self.bind(name, target if isinstance(tgt, ast.Name) else None, conditional)
                    self.constants.pop(name, None)
            if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.assigned(stmt.targets[0].id, stmt.value, stmt.lineno)
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            if isinstance(stmt.target, ast.Name) and (
                not isinstance(stmt, ast.AnnAssign) or stmt.value is not None
            ):
                value = stmt.value if isinstance(stmt, ast.AnnAssign) else None
                target = self.resolve(value) if value is not None else None
                self.bind(stmt.target.id, target, conditional)
                self.constants.pop(stmt.target.id, None)
                if value is not None:
                    self.assigned(stmt.target.id, value, stmt.lineno)
        elif isinstance(stmt, ast.If):
            self.visit_block(stmt.body, conditional=True)
            self.visit_block(stmt.orelse, conditional=True)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            self.visit_block(stmt.body, conditional=True)
            self.visit_block(stmt.orelse, conditional=True)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            self.visit_block(stmt.body, conditional=conditional)
        elif isinstance(stmt, _TRY_NODES):
            self.visit_try(stmt, conditional=conditional)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                self.visit_block(case.body, conditional=True)

    def visit_try(self, stmt: Any, *, conditional: bool) -> None:
        # ast.Try, or ast.TryStar (3.11+): the same fields
        self.visit_block(stmt.body, conditional=True)
        for handler in stmt.handlers:
            self.visit_block(handler.body, conditional=True)
        self.visit_block(stmt.orelse, conditional=True)
        self.visit_block(stmt.finalbody, conditional=conditional)

    def bind(self, name: str, target: str | None, conditional: bool) -> None:
        if target is not None:
            self.bindings[name] = target
        elif not conditional:
            self.bindings.pop(name, None)

    def assigned(self, name: str, value: ast.expr, line: int) -> None:
        """``NAME = "text"`` (a constant for ``name=``) or ``x = flow(...)(fn)`` (a flow)."""
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.constants[name] = value.value
            return
        if isinstance(value, ast.Call):
            made = self.assigned_flow(value)
            if made is not None:
                function, flow_name, description = made
                node = self.functions.get(function)
                if node is not None:
                    self.flows.append(
                        self.make_flow(node, flow_name, description, attribute=name, line=line)
                    )

    # names and values ---------------------------------------------------------------------

    def resolve(self, expr: ast.expr | None) -> str | None:
        """The dotted name an expression like ``pf.flows.flow`` refers to, or None."""
        attrs: list[str] = []
        while isinstance(expr, ast.Attribute):
            attrs.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        head = self.bindings.get(expr.id)
        if head is None:
            return None
        return ".".join([head, *reversed(attrs)])

    def remote(self, dotted: str | None, depth: int = 0) -> _FlowFinder | None:
        """The repository module that defines ``dotted``'s last part (``pkg.common.X``)."""
        if dotted is None or self.repo is None or depth > 8:
            return None
        level = len(dotted) - len(dotted.lstrip("."))
        module, _, _attr = dotted[level:].rpartition(".")
        if not module and not level:
            return None
        if not level and module.split(".", 1)[0] in _NOT_REPOSITORY:
            return None  # prefect.task, functools.wraps...: never a module of the repository
        return self.repo.module(self.relpath, module, level)

    def constant(self, name: str, depth: int = 0) -> str | None:
        """A module-level string constant of this module, or one it imports from the repo."""
        if name in self.constants:
            return self.constants[name]
        target = self.bindings.get(name)
        return self.remote_constant(target, depth + 1) if target else None

    def remote_constant(self, dotted: str | None, depth: int) -> str | None:
        other = self.remote(dotted, depth)
        if other is None or dotted is None:
            return None
        return other.constant(dotted.rpartition(".")[2], depth + 1)

    def text_value(self, expr: ast.expr | None) -> str | None:
        """A string known without running anything: a literal, a constant, an f-string of
        those; else None."""
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.Name):
            return self.constant(expr.id)
        if isinstance(expr, ast.Attribute):
            return self.remote_constant(self.resolve(expr), 0)
        if isinstance(expr, ast.JoinedStr):
            parts = []
            for part in expr.values:
                if isinstance(part, ast.FormattedValue):
                    if part.conversion != -1 or part.format_spec is not None:
                        return None
                    value = self.text_value(part.value)
                else:
                    value = self.text_value(part)
                if value is None:
                    return None
                parts.append(value)
            return "".join(parts)
        return None

    def keyword_text(self, call: ast.Call | None, name: str) -> str | None:
        for kw in call.keywords if call is not None else ():
            if kw.arg == name:
                return self.text_value(kw.value)
        return None

    # decorators and factories -------------------------------------------------------------

    def factory(self, expr: ast.expr) -> _Factory | None:
        if isinstance(expr, ast.Name) and expr.id in self.factories:
            return self.factories[expr.id]
        dotted = self.resolve(expr)
        other = self.remote(dotted)
        if other is None or dotted is None:
            return None
        return other.factories.get(dotted.rpartition(".")[2])

    def flow_decorator(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> tuple[str | None, str | None] | None:
        """(name, description) given by the decorator that makes ``node`` a flow, else None."""
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            func = call.func if call is not None else decorator
            if self.resolve(func) in _FLOW_TARGETS:
                return self.keyword_text(call, "name"), _literal_keyword(call, "description")
            factory = self.factory(func)
            if factory is None or (factory.kind == "call") != (call is not None):
                continue
            return factory.name_from(self, call), _literal_keyword(call, "description")
        return None

    def factory_made_by(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> _Factory | None:
        """The factory ``node`` is, when one of its ``return``s hands back Prefect's flow()."""
        if self.lines is None:
            self.lines = _LINE_BREAK.split(self.source)
        text = "\n".join(self.lines[node.lineno - 1 : node.end_lineno or node.lineno])
        if "return" not in text or "flow" not in text:
            return None  # cheap: most functions never mention flow
        for ret in _returns(node.body):
            if not isinstance(ret.value, ast.Call):
                continue
            value = ret.value
            if isinstance(value.func, ast.Call) and self.resolve(value.func.func) in _FLOW_TARGETS:
                return _Factory("plain", self.keyword_text(value.func, "name"), False)
            if self.resolve(value.func) in _FLOW_TARGETS:
                forwards = any(kw.arg is None for kw in value.keywords)
                kind: Literal["call", "plain"] = "plain" if value.args else "call"
                positional = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
                keyword_only = [a.arg for a in node.args.kwonlyargs]
                name_parameter = None
                for kw in value.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Name):
                        param = kw.value.id
                        if param in positional:
                            name_parameter = (param, positional.index(param))
                        elif param in keyword_only:
                            name_parameter = (param, 1 << 30)
                return _Factory(kind, self.keyword_text(value, "name"), forwards, name_parameter)
        return None

    def assigned_flow(self, call: ast.Call) -> tuple[str, str | None, str | None] | None:
        """(function, name, description) of ``flow(...)(fn)``, ``flow(fn, ...)``,
        ``Flow(fn, ...)``, ``factory(...)(fn)`` or ``factory(fn)``; else None."""
        fn = call.args[0] if len(call.args) == 1 else None
        if isinstance(call.func, ast.Call):
            inner = call.func
            if not isinstance(fn, ast.Name):
                return None
            if self.resolve(inner.func) in _FLOW_TARGETS and not inner.args:
                description = _literal_keyword(inner, "description")
                return fn.id, self.keyword_text(inner, "name"), description
            factory = self.factory(inner.func)
            if factory is not None and factory.kind == "call":
                return fn.id, factory.name_from(self, inner), _literal_keyword(inner, "description")
            return None
        target = self.resolve(call.func)
        if target in _FLOW_CLASS_TARGETS and fn is None:
            fn = next((kw.value for kw in call.keywords if kw.arg == "fn"), None)
        if not isinstance(fn, ast.Name):
            return None
        if target in _FLOW_TARGETS or target in _FLOW_CLASS_TARGETS:
            return fn.id, self.keyword_text(call, "name"), _literal_keyword(call, "description")
        factory = self.factory(call.func)
        if factory is not None and factory.kind == "plain":
            return fn.id, factory.name, None
        return None

    def class_flows(self, cls: ast.ClassDef) -> None:
        for item in cls.body:
            if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            kinds = {
                d.id
                for d in item.decorator_list
                if isinstance(d, ast.Name)
                and d.id in ("staticmethod", "classmethod")
                and d.id not in self.bindings
            }
            if not kinds:
                continue  # an instance method: Prefect can load it but never run it
            decoration = self.flow_decorator(item)
            if decoration is None:
                continue
            self.flows.append(
                self.make_flow(
                    item,
                    *decoration,
                    attribute=f"{cls.name}.{item.name}",
                )
            )

    # the Flow value -------------------------------------------------------------------------

    def make_flow(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        name: str | None,
        description: str | None,
        *,
        attribute: str | None = None,
        line: int | None = None,
    ) -> Flow:
        if description is None:
            description = ast.get_docstring(node, clean=True)
        attribute = attribute or node.name
        # a class method's `cls` stays: Prefect's schema leaves out `cls`/`self` by name but
        # counts them in each parameter's position
        parameters = tuple(self.parameters(node.args))
        return Flow(
            entrypoint=f"{self.relpath}:{attribute}",
            path=self.relpath,
            function=attribute,
            name=name if name else node.name.replace("_", "-"),
            description=_first_line(description),
            line=line or node.lineno,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            parameters=parameters,
            docstring=description or None,
        )

    def parameters(self, args: ast.arguments) -> Iterable[Parameter]:
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults.extend(args.defaults)
        for arg, default in zip(positional, defaults, strict=True):
            yield self.parameter(arg, default, "positional")
        if args.vararg is not None:
            yield self.parameter(args.vararg, None, "var_positional")
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            yield self.parameter(arg, kw_default, "keyword_only")
        if args.kwarg is not None:
            yield self.parameter(args.kwarg, None, "var_keyword")

    def parameter(self, arg: ast.arg, default: ast.expr | None, kind: ParameterKind) -> Parameter:
        annotation = arg.annotation
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            # a quoted forward reference, `c: "list[str]"`: the type is the text inside
            annotation_text: str | None = " ".join(annotation.value.split())
        else:
            annotation_text = self.text(annotation)
        return Parameter(
            name=arg.arg,
            annotation=annotation_text,
            default=self.text(default),
            kind=kind,
        )

    def text(self, node: ast.expr | None) -> str | None:
        """The node's source text; one line (re-rendered by ast) when it spans several."""
        if node is None:
            return None
        if node.lineno != node.end_lineno or node.end_col_offset is None:
            return ast.unparse(node)
        if self.lines is None:
            # split once per module: ast.get_source_segment re-splits the whole file per call
            self.lines = _LINE_BREAK.split(self.source)
        # ast offsets count UTF-8 bytes, not characters
        line = self.lines[node.lineno - 1].encode()
        return line[node.col_offset : node.end_col_offset].decode()


def _returns(body: list[ast.stmt]) -> Iterable[ast.Return]:
    """The ``return`` statements of a function body, outside nested functions and classes
    (statements only: much cheaper than ast.walk over every expression)."""
    for stmt in body:
        if isinstance(stmt, ast.Return):
            yield stmt
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        else:
            for name in ("body", "orelse", "finalbody"):
                yield from _returns(getattr(stmt, name, None) or [])
            for handler in getattr(stmt, "handlers", None) or []:
                yield from _returns(handler.body)
            for case in getattr(stmt, "cases", None) or []:
                yield from _returns(case.body)


def _assigned_names(target: ast.expr) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _assigned_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _assigned_names(target.value)


def _literal_keyword(call: ast.Call | None, name: str) -> str | None:
    for kw in call.keywords if call is not None else ():
        if kw.arg == name and isinstance(kw.value, ast.Constant):
            return kw.value.value if isinstance(kw.value.value, str) else None
    return None


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


def _relative_inside(root: Path, relpath: str) -> str:
    """``relpath`` as a normalised POSIX path relative to ``root``; refuses to leave it."""
    given = relpath.strip()
    path = Path(given)
    if path.is_absolute():
        for base in (root, root.resolve()):
            try:
                path = path.relative_to(base)
                break
            except ValueError:
                continue
        else:
            raise DetectionError(f"{given} is outside the project root {root}")
    rel = posixpath.normpath(path.as_posix())
    if rel in (".", "..") or rel.startswith("../"):
        raise DetectionError(f"{given} is not a file inside the project root {root}")
    return rel
