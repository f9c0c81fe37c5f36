"""Model instances from a statement written once, for the API's hottest lookups.

The ORM compiles a query with its joins anew on every call: for the token lookup of every
API call that was most of the call's CPU (issue 21, bench/fhir_cpu.py). These statements
are built once per process from the models' own metadata, with every concrete column of
each table (an instance is whole, nothing deferred), and each row becomes instances as the
ORM makes them: Model.from_db with the values through the fields' converters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Model

Converter = Callable[[Any, Any, Any], Any]


class Columns:
    """One table's columns in a statement, under an alias."""

    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.names = [field.attname for field in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        self._converters: dict[str, list[tuple[int, list[Converter], Any]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def select(self, quote: Callable[[str], str]) -> str:
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def column(self, name: str, quote: Callable[[str], str]) -> str:
        field: Any = self.model._meta.get_field(name)
        return f"{self.alias}.{quote(field.column)}"

    def converters(self, alias: str) -> list[tuple[int, list[Converter], Any]]:
        """The backend's and each field's converters (as the ORM applies them)."""
        found = self._converters.get(alias)
        if found is None:
            connection = connections[alias]
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if converters:
                    found.append((index, converters, column))
            self._converters[alias] = found
        return found

    def instance(self, row: Sequence[Any], start: int, alias: str) -> Any:
        """The instance in row[start:start + len(self)]; None for a left join's empty side."""
        values = list(row[start : start + len(self.fields)])
        if values[self.pk_index] is None:
            return None
        connection = connections[alias]
        for index, converters, column in self.converters(alias):
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(alias, self.names, values)
