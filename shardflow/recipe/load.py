"""YAML recipe -> validated :class:`Recipe` -> :class:`~shardflow.Pipeline`.

Errors name the recipe file and line, what is wrong, and the fix.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import yaml
from pydantic import ValidationError

import shardflow.steps as library
from shardflow.graph import Graph, building
from shardflow.graph.composite import Composite
from shardflow.graph.step import Step, StepOptions
from shardflow.recipe.schema import OPTION_FIELDS, Recipe, StepSpec


# What every step takes besides its own arguments (a recipe may give them in `args` too).
_STEP_OPTIONS = frozenset(StepOptions.__dataclass_fields__) | {"rejected"}


class RecipeError(ValueError):
    """A recipe that cannot be used; the message names file, line and fix."""


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based line of the YAML node at pydantic location ``loc``."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def parse_recipe(text: str, source: str = "<recipe>") -> Recipe:
    """Parse and validate recipe text; raise :class:`RecipeError` naming the line."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise RecipeError(f"{source}: not valid YAML: {exc}") from None
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise RecipeError(_problems(exc, root, source)) from None
    _check_args(recipe, root, source)
    return recipe


def _problems(exc: ValidationError, root: yaml.Node | None, source: str, prefix: tuple = ()) -> str:
    """One line per validation error: ``file:line: where: what (fix)``."""
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        line = _line_of(root, loc)
        where = ".".join(str(p) for p in loc) or "(top level)"
        fix = " (remove it, or check its spelling)" if err["type"] == "extra_forbidden" else ""
        problems.append(f"{source}:{line}: {where}: {err['msg']}{fix}")
    return "recipe is not valid:\n  " + "\n  ".join(problems)


def _check_args(recipe: Recipe, root: yaml.Node | None, source: str) -> None:
    """Validate the ``args`` of steps that declare a pydantic ``args_model`` (the dedups).

    The options every step takes (``cpus``, ``time``, ...) are left to the step; unknown
    step names are left to :func:`build_graph`, which names them.
    """
    problems = []
    for i, spec in enumerate(recipe.steps):
        try:
            model = getattr(_resolve(spec.use, source), "args_model", None)
        except RecipeError:
            continue
        if model is None:
            continue
        own = {k: v for k, v in spec.args.items() if k not in _STEP_OPTIONS}
        try:
            model.model_validate(own)
        except ValidationError as exc:
            problems.append(_problems(exc, root, source, ("steps", i, "args")).split("\n", 1)[1])
    if problems:
        raise RecipeError("recipe is not valid:\n" + "\n".join(problems))


def load_recipe(path: str) -> Recipe:
    """Read and validate the recipe file at ``path``."""
    with open(path, encoding="utf-8") as f:
        return parse_recipe(f.read(), path)


def _resolve(use: str, source: str) -> type:
    if ":" in use:
        module, _, name = use.partition(":")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise RecipeError(f"{source}: step `use: {use}` cannot be imported: {exc}") from None
    if use not in library.__all__:
        raise RecipeError(
            f"{source}: unknown step `use: {use}`; use one of {', '.join(n for n in library.__all__ if n.islower())} "
            "or 'package.module:ClassName'"
        )
    return getattr(library, use)


def _build_step(spec: StepSpec, source: str, storage_options: dict | None = None) -> Step | Composite:
    cls = _resolve(spec.use, source)
    kwargs: dict[str, Any] = dict(spec.args)
    if storage_options and "storage_options" not in kwargs and _accepts(cls, "storage_options"):
        kwargs["storage_options"] = storage_options  # the recipe's, for readers and writers
    if spec.where is not None:
        kwargs["fn"] = _compile(spec.where, spec.name, source)
    if spec.expr is not None:
        kwargs["fn"] = _compile(spec.expr, spec.name, source)
    if spec.route is not None:
        kwargs["fn"] = _compile(spec.route, spec.name, source, params="batch, seq")
    kwargs.update({f: getattr(spec, f) for f in OPTION_FIELDS if getattr(spec, f) is not None})
    try:
        return cls(name=spec.name, **kwargs)
    except TypeError as exc:
        raise RecipeError(f"{source}: step {spec.name!r} ({spec.use}): {exc}; check its `args`") from None


def _accepts(cls: type, name: str) -> bool:
    """Whether the step's constructor, or one it forwards ``**kwargs`` to, takes ``name``."""
    for klass in getattr(cls, "__mro__", ()):
        init = klass.__dict__.get("__init__")
        try:
            if init is not None and name in inspect.signature(init).parameters:
                return True
        except (TypeError, ValueError):
            continue
    return False


def _compile(expression: str, step: str, source: str, params: str = "row"):
    try:
        code = compile(f"lambda {params}: ({expression})", f"{source}:{step}", "eval")
    except SyntaxError as exc:
        raise RecipeError(f"{source}: step {step!r}: expression {expression!r} is not valid Python: {exc.msg}") from None
    return eval(code, {"__builtins__": __builtins__})  # noqa: S307 - the user's own recipe


def build_graph(recipe: Recipe, source: str = "<recipe>") -> Graph:
    """Build the step graph a recipe describes (wrap it with ``Pipeline.from_graph``)."""
    names = [s.name for s in recipe.steps]
    graph = Graph(recipe.pipeline)
    with building(graph):
        built: dict[str, Step | Composite] = {}  # a composite (a dedup) wires like a step
        for spec in recipe.steps:
            built[spec.name] = _build_step(spec, source, recipe.run.storage_options)
        for spec in recipe.steps:
            inputs = [spec.input] if isinstance(spec.input, str) else spec.input or []
            for name in inputs:
                if name not in built:
                    raise RecipeError(
                        f"{source}: step {spec.name!r} reads {name!r}, which is not a step of this recipe "
                        f"(steps: {', '.join(names)})"
                    )
                built[name] >> built[spec.name]
    return graph
