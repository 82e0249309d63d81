"""A flow's parameter schema as Prefect builds it, read from source; values checked as Prefect
checks them. Never imports user code.

Building: Prefect's ``prefect.utilities.callables.parameter_schema`` turns the signature into a
pydantic model (one field per parameter: ``title`` the name, ``position`` its index, the
default, ``*args`` as ``list[T]`` and ``**kwargs`` as ``dict[str, T]``, ``self``/``cls``
left out) and publishes the model's JSON schema with ``$ref``s under ``#/definitions``
(``create_v2_schema``). Here each annotation is read from the AST and rebuilt as the same Python
type: builtins, ``typing`` forms (Optional, Union, Literal, Annotated, List, Dict, Tuple...),
``X | None``, date/datetime/time/timedelta, UUID, Path, Decimal, type aliases assigned at module
level, and classes defined in the repository (in the flow's module or imported from another
module of it): ``Enum`` subclasses become enums with their literal members, pydantic
``BaseModel`` subclasses become models with the fields their source declares. Anything that
cannot be read (a third-party class, ``auto()``, a computed default) is "any" (``{}``) - looser
than Prefect, never stricter. The model then goes through pydantic's own schema generation with
Prefect's settings, so the schema is Prefect's, key for key.

Checking (``problems``), the union of what Prefect refuses:
- at deploy, the server's ``enforce_parameter_schema``: ``prefect.utilities.schema_tools.
  validate(parameters, schema, raise_on_error=True, ignore_required=True)`` - the schema
  preprocessed (``preprocess_schema``: a non-required property without a default also takes
  null; tuple ``items`` lists become ``prefixItems``), every ``required`` removed, Draft 2020-12,
  no format checks;
- when the run starts, ``Flow.validate_parameters``: pydantic validates each value against its
  type (lax mode): this is what refuses ``yesterday`` for a ``date``.
Plus values JSON cannot carry (NaN, infinities), which the API refuses.
"""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import decimal
import enum
import math
import pathlib
import typing
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowwiz.detectors.flows import Flow, Parameter

# --------------------------------------------------------------------------------- public API


@dataclass(frozen=True, slots=True)
class ParameterProblem:
    name: str  # the parameter
    message: str  # one line, e.g. "item 1: 'x' is not of type 'integer'"


@dataclass(frozen=True)
class ParameterSchema:
    """``schema`` is Prefect's ``parameter_openapi_schema`` for the flow (``title``, ``type``,
    ``properties``, ``required``, ``definitions``); ``types`` the Python type of each parameter
    (``typing.Any`` when unreadable); ``unknown_defaults`` the parameters whose default is not a
    literal (their property carries no ``default`` here; Prefect's carries the value)."""

    schema: dict[str, Any]
    types: Mapping[str, Any]
    unknown_defaults: frozenset[str] = frozenset()
    _adapters: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def property(self, name: str) -> dict[str, Any]:
        """The property of ``name`` with ``$ref``s to definitions resolved (one level)."""
        prop = dict(self.schema.get("properties", {}).get(name, {}))
        return _deref(prop, self.schema.get("definitions", {}))

    def problems(self, values: Mapping[str, Any]) -> list[ParameterProblem]:
        """Why Prefect would refuse ``values`` (deploy check, then run check), [] when valid."""
        found: list[ParameterProblem] = []
        for name, value in values.items():
            bad = _non_finite(value)
            if bad:
                found.append(ParameterProblem(name, f"{bad} is not a JSON number"))
        if found:
            return found
        found.extend(self._deploy_problems(values))
        named = {p.name for p in found}
        for name, value in values.items():
            if name in named or name not in self.types:
                continue
            message = self._run_problem(name, value)
            if message:
                found.append(ParameterProblem(name, message))
        return found

    def _deploy_problems(self, values: Mapping[str, Any]) -> list[ParameterProblem]:
        from jsonschema.validators import Draft202012Validator

        schema = _strip_required(preprocess_schema(self.schema, self.unknown_defaults))
        validator = Draft202012Validator(schema)
        out = []
        for error in sorted(validator.iter_errors(dict(values)), key=lambda e: list(e.path)):
            path = list(error.absolute_path)
            name = str(path[0]) if path else "?"
            where = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path[1:])
            out.append(ParameterProblem(name, (f"at {where}: " if where else "") + error.message))
        return out

    def _run_problem(self, name: str, value: Any) -> str | None:
        import pydantic

        type_ = self.types[name]
        if type_ is Any:
            return None
        adapter = self._adapters.get(name)
        if adapter is None:
            try:
                adapter = pydantic.TypeAdapter(type_)
            except Exception:  # noqa: BLE001 - a type pydantic cannot check: Prefect's is Any
                return None
            self._adapters[name] = adapter
        try:
            adapter.validate_python(value)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in first["loc"])
            return (f"at {where}: " if where else "") + str(first["msg"])
        except Exception as exc:  # noqa: BLE001
            return " ".join(str(exc).split())
        return None


def parameter_schema(root: Path, flow: Flow) -> ParameterSchema:
    """The flow's parameter schema, its module read from ``root / flow.path`` for the names its
    annotations use (a module that cannot be read: every annotation is "any")."""
    module = _Module.load(Path(root), flow.path)
    return schema_for(flow.parameters, module)


def schema_from_source(source: str, function: str) -> ParameterSchema:
    """The parameter schema of ``function`` (a module-level or class-level ``def``) in
    ``source``, e.g. for tests. Raises LookupError when there is no such function."""
    from flowwiz.detectors.flows import _FlowFinder

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            finder = _FlowFinder("<source>", source)
            params = tuple(finder.parameters(node.args))
            return schema_for(params, _Module(tree, None, None))
    raise LookupError(function)


def schema_for(parameters: Sequence[Parameter], module: _Module | None) -> ParameterSchema:
    import pydantic
    from pydantic import ConfigDict

    module = module or _Module(ast.Module(body=[], type_ignores=[]), None, None)
    fields: dict[str, Any] = {}
    types: dict[str, Any] = {}
    unknown: set[str] = set()
    for position, param in enumerate(parameters):
        if param.name in ("self", "cls"):
            continue
        type_ = module.annotation(param.annotation)
        default: Any = ...
        if param.default is not None:
            default = module.default(param.default)
            if default is _UNREADABLE:
                unknown.add(param.name)
                default = None
        if param.kind == "var_positional":
            type_, default = list[type_], []  # type: ignore[valid-type]
        elif param.kind == "var_keyword":
            type_, default = dict[str, type_], {}  # type: ignore[valid-type]
        name = param.name
        alias = None
        if hasattr(pydantic.BaseModel, name):  # as process_v2_params does
            alias, name = name, name + "__"
        info = pydantic.Field(
            default=default, title=param.name, alias=alias, json_schema_extra={"position": position}
        )
        config = ConfigDict(arbitrary_types_allowed=True)
        try:  # a type whose schema cannot be made is Any, as in generate_parameter_schema
            _json_schema(pydantic.create_model("CheckParameter", __config__=config,
                                               **{name: (type_, info)}))
        except Exception:  # noqa: BLE001
            type_ = Any
        fields[name] = (type_, info)
        types[param.name] = type_
    model = pydantic.create_model(
        "Parameters", __config__=ConfigDict(arbitrary_types_allowed=True), **fields
    )
    raw = _json_schema(model)
    schema: dict[str, Any] = {
        "title": "Parameters",
        "type": "object",
        "properties": raw.get("properties", {}),
        "required": raw.get("required", []),
        "definitions": raw.get("$defs", {}),
    }
    if not schema["required"]:
        del schema["required"]  # ParameterSchema.model_dump_for_openapi drops an empty list
    for name in unknown:
        schema["properties"].get(name, {}).pop("default", None)
    return ParameterSchema(schema, types, frozenset(unknown))


def preprocess_schema(schema: Mapping[str, Any], has_default: Iterable[str] = ()) -> dict[str, Any]:
    """``prefect.utilities.schema_tools.validation.preprocess_schema``: a property that is not
    required, has a ``type`` and no ``default`` also takes null; tuple ``items`` lists become
    ``prefixItems``; the same inside definitions. ``has_default`` names top-level properties
    whose default exists but is unknown here (they get no null)."""
    out = copy.deepcopy(dict(schema))
    defaulted = set(has_default)
    if "properties" in out:
        _process_properties(out["properties"], out.get("required", []), defaulted)
    for definition in out.get("definitions", {}).values():
        if "properties" in definition:
            _process_properties(definition["properties"], definition.get("required", []), set())
    return out


# --------------------------------------------------------------------------------- internals


_UNREADABLE = object()


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _UNREADABLE


def _json_schema(model: Any) -> dict[str, Any]:
    from pydantic import TypeAdapter

    schema: dict[str, Any] = TypeAdapter(model).json_schema(
        by_alias=True, ref_template="#/definitions/{model}"
    )
    return schema


def _deref(prop: dict[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        target = definitions.get(ref.rsplit("/", 1)[1], {})
        return {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    if "anyOf" in prop:
        prop = {**prop, "anyOf": [_deref(dict(p), definitions) for p in prop["anyOf"]]}
    return prop


def _process_properties(props: dict[str, Any], required: list[str], defaulted: set[str]) -> None:
    for key, sub in props.items():
        if (
            key not in required
            and "type" in sub
            and sub.get("type") != "null"
            and "default" not in sub
            and key not in defaulted
        ):
            sub["anyOf"] = [{"type": sub["type"]}, {"type": "null"}]
            del sub["type"]
        if isinstance(sub.get("items"), list) and not sub.get("prefixItems"):
            sub["prefixItems"] = copy.deepcopy(sub["items"])
            del sub["items"]
        if "properties" in sub:
            _process_properties(sub["properties"], sub.get("required", []), set())


def _strip_required(node: Any) -> Any:
    """``remove_nested_keys(["required"], schema)``: ``ignore_required=True``."""
    if isinstance(node, dict):
        return {k: _strip_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_strip_required(v) for v in node]
    return node


def _non_finite(value: Any) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return next((b for v in value.values() if (b := _non_finite(v))), None)
    if isinstance(value, (list, tuple)):
        return next((b for v in value if (b := _non_finite(v))), None)
    return None


# What dotted names mean. typing_extensions and collections.abc spell the same forms.
_KNOWN: dict[str, Any] = {
    "builtins.int": int,
    "builtins.float": float,
    "builtins.str": str,
    "builtins.bool": bool,
    "builtins.bytes": bytes,
    "builtins.list": list,
    "builtins.dict": dict,
    "builtins.tuple": tuple,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.object": object,
    "builtins.None": None,
    "typing.Any": Any,
    "typing.Optional": typing.Optional,
    "typing.Union": typing.Union,
    "typing.List": typing.List,  # noqa: UP006
    "typing.Dict": typing.Dict,  # noqa: UP006
    "typing.Tuple": typing.Tuple,  # noqa: UP006
    "typing.Set": typing.Set,  # noqa: UP006
    "typing.FrozenSet": typing.FrozenSet,  # noqa: UP006
    "typing.Sequence": typing.Sequence,  # noqa: UP006
    "typing.MutableSequence": typing.MutableSequence,  # noqa: UP006
    "typing.Mapping": typing.Mapping,  # noqa: UP006
    "typing.MutableMapping": typing.MutableMapping,  # noqa: UP006
    "typing.Iterable": typing.Iterable,  # noqa: UP006
    "typing.Collection": typing.Collection,  # noqa: UP006
    "typing.Literal": typing.Literal,
    "typing.Annotated": typing.Annotated,
    "datetime.datetime": _dt.datetime,
    "datetime.date": _dt.date,
    "datetime.time": _dt.time,
    "datetime.timedelta": _dt.timedelta,
    "uuid.UUID": uuid.UUID,
    "pathlib.Path": pathlib.Path,
    "pathlib.PurePath": pathlib.PurePath,
    "decimal.Decimal": decimal.Decimal,
}
for _abc in ("Sequence", "MutableSequence", "Mapping", "MutableMapping", "Iterable", "Collection"):
    _KNOWN[f"collections.abc.{_abc}"] = _KNOWN[f"typing.{_abc}"]
_ALIASES = {"typing_extensions.": "typing.", "pydantic.v1.": "pydantic_v1."}
_ENUM_BASES = {"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"}
_MODEL_BASES = {"pydantic.BaseModel", "pydantic.main.BaseModel"}
_FIELD_FUNCS = {"pydantic.Field", "pydantic.fields.Field"}
_FIELD_KWARGS = ("description", "title", "ge", "gt", "le", "lt", "min_length", "max_length",
                 "pattern", "examples", "multiple_of", "alias")
_MAX_DEPTH = 12


class _Module:
    """One module's names: imports, classes and module-level assignments (type aliases)."""

    def __init__(self, tree: ast.Module, root: Path | None, relpath: str | None) -> None:
        self.root = root
        self.relpath = relpath
        self.names: dict[str, tuple[str, Any]] = {}
        self.cache: dict[str, Any] = {}
        self.stars: list[str] = []  # `from typing import *`
        for stmt in _top_level(tree.body):
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        self.names[alias.asname] = ("import", (alias.name, 0))
                    else:
                        head = alias.name.split(".", 1)[0]
                        self.names[head] = ("import", (head, 0))
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name == "*" and stmt.level == 0 and stmt.module:
                        self.stars.append(stmt.module)
                    elif alias.name != "*":
                        target = (f"{stmt.module or ''}:{alias.name}", stmt.level)
                        self.names[alias.asname or alias.name] = ("from", target)
            elif isinstance(stmt, ast.ClassDef):
                self.names[stmt.name] = ("class", stmt)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                if isinstance(stmt.targets[0], ast.Name):
                    self.names[stmt.targets[0].id] = ("alias", stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    self.names[stmt.target.id] = ("alias", stmt.value)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.names[stmt.name] = ("other", None)

    @classmethod
    def load(cls, root: Path, relpath: str) -> _Module:
        try:
            tree = ast.parse((root / relpath).read_bytes())
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            tree = ast.Module(body=[], type_ignores=[])
        return cls(tree, root, relpath)

    # annotations --------------------------------------------------------------------------

    def annotation(self, text: str | None) -> Any:
        if not text:
            return Any
        try:
            node = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return Any
        try:
            return self.type_of(node, 0)
        except Exception:  # noqa: BLE001 - unreadable is "any", never a crash
            return Any

    def type_of(self, node: ast.expr, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return Any
        if isinstance(node, ast.Constant):
            if node.value is None:
                return None
            if isinstance(node.value, str):  # a forward reference
                return self.annotation(node.value)
            return Any
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left, right = self.type_of(node.left, depth + 1), self.type_of(node.right, depth + 1)
            return typing.Union[left, right]  # noqa: UP007
        if isinstance(node, ast.Subscript):
            origin = self.type_of(node.value, depth + 1)
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if origin is typing.Literal:
                values = [ast.literal_eval(item) for item in items]
                return typing.Literal[tuple(values)]
            if origin is typing.Annotated:
                return self.type_of(items[0], depth + 1)
            if origin in (tuple, typing.Tuple) and len(items) == 2 and _is_ellipsis(items[1]):  # noqa: UP006
                return tuple[self.type_of(items[0], depth + 1), ...]  # type: ignore[misc]
            args = tuple(self.type_of(item, depth + 1) for item in items)
            if origin is Any or origin is object or not _subscriptable(origin):
                return Any
            return origin[args if len(args) > 1 else args[0]]
        dotted = _dotted(node)
        if dotted is None:
            return Any
        return self.resolve(dotted, depth + 1)

    def resolve(self, dotted: str, depth: int) -> Any:
        """A dotted name as written in this module -> a type (Any when unknown)."""
        if dotted in self.cache:
            return self.cache[dotted]
        self.cache[dotted] = Any  # a cycle reads as Any
        value = self._resolve(dotted, depth)
        self.cache[dotted] = value
        return value

    def _resolve(self, dotted: str, depth: int) -> Any:
        head, _, rest = dotted.partition(".")
        bound = self.names.get(head)
        if bound is None:
            for module in reversed(self.stars):
                known = _known(f"{module}.{dotted}")
                if known is not _NOT_KNOWN or f"{module}.{dotted}" in _KNOWN:
                    return known
            return _known(f"builtins.{dotted}")
        kind, data = bound
        if kind == "import":
            return _known(f"{data[0]}.{rest}" if rest else data[0])
        if kind == "from":
            module, _, name = data[0].partition(":")
            level = data[1]
            if level == 0:
                known = _known(f"{module}.{name}" + (f".{rest}" if rest else ""))
                if known is not _NOT_KNOWN:
                    return known
            other = self._import(module, level)
            if other is None:
                return _NOT_KNOWN if level == 0 else Any
            return other.resolve(name + (f".{rest}" if rest else ""), depth + 1)
        if kind == "class" and not rest:
            return self._class(data, depth)
        if kind == "alias" and not rest:
            return self.type_of(data, depth + 1)
        return Any

    def _import(self, module: str, level: int) -> _Module | None:
        """A module of the repository, as Prefect's loader would find it: beside the flow's
        file (its directory is on sys.path) or from the root (the working directory)."""
        if self.root is None or self.relpath is None:
            return None
        here = (self.root / self.relpath).parent
        parts = [p for p in module.split(".") if p]
        if level:
            base = here
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:
            bases = [here, self.root]
        for base in bases:
            for candidate in (base.joinpath(*parts).with_suffix(".py") if parts else None,
                              base.joinpath(*parts, "__init__.py")):
                if candidate is not None and candidate.is_file():
                    try:
                        rel = candidate.resolve().relative_to(self.root.resolve()).as_posix()
                    except ValueError:
                        continue
                    return _Module.load(self.root, rel)
        return None

    # classes ------------------------------------------------------------------------------

    def _class(self, node: ast.ClassDef, depth: int) -> Any:
        bases = [_dotted(b) for b in node.bases]
        resolved = [self._base_kind(b) for b in bases if b]
        if any(kind == "enum" for kind, _ in resolved):
            return self._enum(node, [b for _, b in resolved])
        if any(kind == "model" for kind, _ in resolved):
            return self._model(node, [b for kind, b in resolved if kind == "model"], depth)
        return Any  # a plain class: Prefect's schema for it is {} too

    def _base_kind(self, dotted: str) -> tuple[str, Any]:
        full = self._qualified(dotted)
        if full in _ENUM_BASES:
            return "enum", full
        if full in _MODEL_BASES:
            return "model", None
        if full in ("builtins.str", "builtins.int", "builtins.float"):
            return "mixin", full
        target = self.resolve(dotted, 1)
        if isinstance(target, type):
            import pydantic

            if issubclass(target, enum.Enum):
                return "enum", target
            if issubclass(target, pydantic.BaseModel):
                return "model", target
        return "other", None

    def _qualified(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        bound = self.names.get(head)
        if bound is None:
            for module in reversed(self.stars):
                if _known(f"{module}.{dotted}") is not _NOT_KNOWN or module in ("enum", "pydantic"):
                    return f"{module}.{dotted}"
            return f"builtins.{dotted}"
        kind, data = bound
        if kind == "import":
            return f"{data[0]}.{rest}" if rest else data[0]
        if kind == "from" and data[1] == 0:
            module, _, name = data[0].partition(":")
            return f"{module}.{name}" + (f".{rest}" if rest else "")
        return ""

    def _enum(self, node: ast.ClassDef, bases: list[Any]) -> Any:
        members: list[tuple[str, Any]] = []
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Name) and not target.id.startswith("_"):
                    value = _literal(ast.unparse(stmt.value))
                    if value is _UNREADABLE:
                        return Any  # auto(), computed values: unreadable
                    members.append((target.id, value))
        if not members:
            return Any
        kind = next((b for b in bases if isinstance(b, str) and b.startswith("enum.")), None)
        mixin = next((b for b in bases if isinstance(b, str) and b.startswith("builtins.")), None)
        if kind == "enum.IntEnum" or kind == "enum.IntFlag":
            made: Any = enum.IntEnum(node.name, members)  # type: ignore[misc]
        elif kind == "enum.StrEnum" or mixin == "builtins.str":
            made = enum.Enum(node.name, members, type=str)  # type: ignore[misc]
        elif mixin == "builtins.int":
            made = enum.Enum(node.name, members, type=int)  # type: ignore[misc]
        elif kind in ("enum.Enum", "enum.Flag"):
            made = enum.Enum(node.name, members)  # type: ignore[misc]
        else:
            return Any  # a subclass of a repository enum: members come from both; not read
        made.__doc__ = ast.get_docstring(node)
        return made

    def _model(self, node: ast.ClassDef, parents: list[Any], depth: int) -> Any:
        import pydantic

        fields: dict[str, Any] = {}
        for parent in parents:
            if parent is not None:
                for name, info in parent.model_fields.items():
                    fields[name] = (info.annotation, info)
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("model_config", "Config") for t in stmt.targets
            ):
                return Any  # configuration changes the schema: not read
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
                return Any
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            name = stmt.target.id
            if name.startswith("_"):
                continue
            if "ClassVar" in ast.unparse(stmt.annotation):
                continue
            type_ = self.type_of(stmt.annotation, depth + 1)
            fields[name] = (type_, self._field(stmt.value))
        base = parents[0] if parents and parents[0] is not None else pydantic.BaseModel
        made = pydantic.create_model(  # type: ignore[call-overload]
            node.name, __base__=base, __doc__=ast.get_docstring(node), **fields
        )
        return made

    def default(self, text: str) -> Any:
        try:
            return self.value_of(ast.parse(text.strip(), mode="eval").body)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return _UNREADABLE

    def value_of(self, node: ast.expr) -> Any:
        """A default's value: a literal, or a member of an enum of the repository."""
        got = _literal(ast.unparse(node))
        if got is _UNREADABLE and isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.value_of(elt) for elt in node.elts]
            if any(item is _UNREADABLE for item in items):
                return _UNREADABLE
            kind = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
            return kind(items)
        if got is _UNREADABLE and isinstance(node, ast.Dict):
            keys = [self.value_of(k) if k is not None else _UNREADABLE for k in node.keys]
            vals = [self.value_of(v) for v in node.values]
            if any(x is _UNREADABLE for x in (*keys, *vals)):
                return _UNREADABLE
            return dict(zip(keys, vals, strict=True))
        if got is _UNREADABLE and isinstance(node, ast.Attribute):
            owner = self.resolve(_dotted(node.value) or "", 1)
            if isinstance(owner, type) and issubclass(owner, enum.Enum):
                member = owner.__members__.get(node.attr)
                return _UNREADABLE if member is None else member
        return got

    def _field(self, value: ast.expr | None) -> Any:
        import pydantic

        if value is None:
            return pydantic.Field()
        func = _dotted(value.func) if isinstance(value, ast.Call) else None
        if isinstance(value, ast.Call) and self._qualified(func or "") in _FIELD_FUNCS:
            kwargs: dict[str, Any] = {}
            if value.args:
                first = self.value_of(value.args[0])
                kwargs["default"] = None if first is _UNREADABLE else first
            for kw in value.keywords:
                if kw.arg == "default":
                    got = self.value_of(kw.value)
                    kwargs["default"] = None if got is _UNREADABLE else got
                elif kw.arg == "default_factory":
                    kwargs["default_factory"] = _factory(_dotted(kw.value))
                elif kw.arg in _FIELD_KWARGS:
                    got = _literal(ast.unparse(kw.value))
                    if got is not _UNREADABLE:
                        kwargs[kw.arg] = got
            if kwargs.get("default", None) is Ellipsis:
                kwargs.pop("default")
            return pydantic.Field(**kwargs)
        got = self.value_of(value)
        return pydantic.Field(default=None if got is _UNREADABLE else got)


_NOT_KNOWN: Any = Any


def _known(dotted: str) -> Any:
    for old, new in _ALIASES.items():
        if dotted.startswith(old):
            dotted = new + dotted[len(old):]
    return _KNOWN.get(dotted, _NOT_KNOWN)


def _factory(dotted: str | None) -> Any:
    return {"list": list, "dict": dict, "set": set, "tuple": tuple}.get(dotted or "", lambda: None)


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _subscriptable(origin: Any) -> bool:
    return origin is not None and (
        hasattr(origin, "__class_getitem__") or isinstance(origin, typing._SpecialForm)  # type: ignore[attr-defined]
        or hasattr(origin, "__getitem__") and origin.__module__ == "typing"
    )


def _top_level(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Module-level statements, including those inside if/try (e.g. TYPE_CHECKING imports)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield from _top_level(stmt.body)
            yield from _top_level(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _top_level(stmt.body)
            for handler in stmt.handlers:
                yield from _top_level(handler.body)
        else:
            yield stmt
