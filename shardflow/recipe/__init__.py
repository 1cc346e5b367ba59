"""Recipes: a pipeline as YAML, validated with pydantic before anything runs."""

from shardflow.recipe.load import RecipeError, build_graph, load_recipe, parse_recipe
from shardflow.recipe.schema import Recipe, json_schema

__all__ = ["Recipe", "RecipeError", "build_graph", "json_schema", "load_recipe", "parse_recipe"]
