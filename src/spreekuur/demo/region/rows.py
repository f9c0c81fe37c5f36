"""A table's rows made from its model's own field definitions.

The region generator writes rows as lists of column values (demo/region/bulk.py). Which
columns a table has, what they are called in the database (`db_column`) and what a row
holds where the generator gives nothing (the field's default, as `Model()` would have it)
all come from the model's concrete fields: a new column with a default needs no edit in
the demo. What must always be given: the primary key (handed out when the rows are
written), the automatic moments (`auto_now`, `auto_now_add`: a picture of the past says
when a row was made), and a required value without a default (a new NOT NULL foreign key,
say), which the database would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from django.db import models
from django.db.models.fields import NOT_PROVIDED


def _must_be_given(field: models.Field[Any, Any]) -> bool:
    return bool(
        field.primary_key
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
        # A database default that is an expression (Now()) cannot go into COPY.
        or not (field.db_default is NOT_PROVIDED or isinstance(field.db_default, models.Value))
    )


class Table:
    """A model's table as rows: its writable concrete fields, in the model's order.

    `refs` names the columns (by attribute name, `patient_id`) that may hold a row made in
    the same run, as a negative number (-1 the first row made), and the table it points at.
    """

    def __init__(self, model: type[models.Model], refs: Mapping[str, str] | None = None) -> None:
        fields = [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]
        self.model = model
        self.attnames = tuple(f.attname for f in fields)
        self.columns = tuple(f.column for f in fields)
        self._positions = {name: i for i, name in enumerate(self.attnames)}
        self._get = itemgetter(*self.attnames)
        self._width = len(self.attnames)
        self.refs = dict(refs or {})
        for name in self.refs:
            self.index(name)  # a typo fails here, not in the middle of a run
        # Defaults that are one value for every row; made per row (uuid4, dict, now);
        # and what must be given (the key, the moments, a required value without default).
        self.fixed: dict[str, Any] = {}
        self.made: dict[str, Callable[[], Any]] = {}
        required = []
        for field in fields:
            if _must_be_given(field):
                required.append(field.attname)
            elif field.has_default() and callable(field.default):
                self.made[field.attname] = field.get_default
            elif isinstance(field.db_default, models.Value):
                self.fixed[field.attname] = field.db_default.value
            elif (default := field.get_default()) is None and not field.null:
                required.append(field.attname)  # the database would refuse the None
            else:
                self.fixed[field.attname] = default
        self.required = tuple(required)

    def index(self, attname: str) -> int:
        """The position of a column (by attribute name) in this table's rows."""
        try:
            return self._positions[attname]
        except KeyError:
            raise LookupError(f"{self.model.__name__} has no column {attname!r}") from None

    def row(self, **values: Any) -> list[Any]:
        """One row: the given values (by attribute name), the rest the fields' defaults."""
        merged = self.fixed | values
        if len(merged) != self._width:
            merged = self._complete(merged)
        try:
            got = self._get(merged)
        except KeyError:
            self._complete(merged)  # says what is missing
            raise
        return list(got) if self._width > 1 else [got]

    def _complete(self, merged: dict[str, Any]) -> dict[str, Any]:
        unknown = [name for name in merged if name not in self._positions]
        if unknown:
            raise TypeError(f"{self.model.__name__} has no column {', '.join(unknown)}")
        for name, default in self.made.items():
            if name not in merged:
                merged[name] = default()
        missing = [name for name in self.attnames if name not in merged]
        if missing:
            raise TypeError(f"{self.model.__name__} rows must give {', '.join(missing)}")
        return merged

    def layout(self, *given: str) -> Layout:
        """Rows made fast from a fixed set of values in a fixed order: the given columns
        first, then the rest with their defaults (for the millions of lab results). Without
        the primary key, the database gives it."""
        for name in given:
            self.index(name)
        # An automatic primary key left out is the database's to give.
        key = self.model._meta.pk
        automatic = key.attname if isinstance(key, models.AutoField) else None
        rest = [name for name in self.attnames if name not in given and name != automatic]
        missing = [name for name in rest if name in self.required or name in self.made]
        if missing:
            raise TypeError(f"{self.model.__name__} rows must give {', '.join(missing)}")
        by_name = dict(zip(self.attnames, self.columns, strict=True))
        return Layout(
            self,
            given,
            tuple(by_name[name] for name in (*given, *rest)),
            tuple(self.fixed[name] for name in rest),
        )


@dataclass(frozen=True)
class Layout:
    """A table's columns in the order a generator gives them, then the defaults."""

    table: Table
    given: tuple[str, ...]  # attribute names, in the order `row` takes them
    columns: tuple[str, ...]  # database columns of a row: the given, then the rest
    rest: tuple[Any, ...]  # the defaults of the rest

    def index(self, attname: str) -> int:
        return self.given.index(attname)

    def row(self, *values: Any) -> list[Any]:
        if len(values) != len(self.given):
            raise TypeError(f"{len(self.given)} values expected, {len(values)} given")
        return [*values, *self.rest]
