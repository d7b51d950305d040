"""The ask SDK's serializer with the reflection done once per type instead of per request.

ask-sdk-core's DefaultSerializer reads every model class's `deserialized_types` and
`attribute_map`, parses type strings with regexes and imports the class by name for every
field of every request (about a millisecond for one Alexa envelope), and serializes the
response the same way. This subclass builds one converter per type the first time it meets
it and then only runs those: the same model classes, constructed and filled in the same way
(`Class()`, then one setattr per field the payload has, unknown keys kept as they came), so
the objects compare equal to the default's. Anything the converters do not cover the way
the default does (a value of another JSON type than the field's, a list typed by position,
a timestamp in any other shape than Alexa's) goes to DefaultSerializer itself, so an odd or
broken envelope gets exactly its answer and its SerializationException.

One difference, in the tzinfo object only: a timestamp such as "2026-12-01T22:50:42Z" is
read by `datetime.fromisoformat` as UTC (`dateutil.tz.UTC`), where dateutil's parser
says `tzlocal()` on a machine whose local zone is UTC and `tzutc()` elsewhere; the instant,
and so equality, is the same."""

from __future__ import annotations

import decimal
import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from dateutil import tz

Converter = Callable[[Any], Any]
# Alexa's own shape: whole seconds or up to microseconds, in UTC.
_ALEXA_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")
_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")


class _Default(Exception):
    """This value is the default serializer's to read (its answer, or its error)."""


def _read_time(payload: Any) -> datetime:
    if type(payload) is not str or _ALEXA_TIME.fullmatch(payload) is None:
        raise _Default
    return datetime.fromisoformat(payload[:-1]).replace(tzinfo=tz.UTC)


def _read_date(payload: Any) -> date:
    raise _Default  # no Alexa request field is a bare date; the default reads it


def _exactly(kind: type) -> Converter:
    def read(payload: Any) -> Any:
        if type(payload) is kind:
            return payload
        if kind is float and type(payload) is int:
            return float(payload)
        raise _Default
    return read


def _enum(cls: type[Enum]) -> Converter:
    def read(payload: Any) -> Any:
        try:
            return cls(payload)
        except ValueError as exc:
            raise _Default from exc
    return read


def _load_class(name: str) -> Any:
    """As DefaultSerializer loads a model class by its dotted name (a bare name is looked
    up in ask_sdk_core.serialize), or _Default."""
    module_name, _, class_name = name.rpartition(".")
    try:
        module = sys.modules[DefaultSerializer.__module__] if not module_name else (
            sys.modules.get(module_name) or __import__(module_name, fromlist=[class_name]))
        return getattr(module, class_name)
    except Exception as exc:
        raise _Default from exc


def _nullable(read: Converter) -> Converter:
    def nullable(payload: Any) -> Any:
        return None if payload is None else read(payload)
    return nullable


class ModelSerializer(DefaultSerializer):
    """DefaultSerializer's results, with per-type converters built once and cached."""

    def _default_deserialize(self, payload: Any, obj_type: Any) -> Any:
        """The SDK's own (name-mangled, private) reflective path, for what we do not cover."""
        # getattr: mypy does not resolve a name-mangled attribute of a base class
        mangled = "_DefaultSerializer__deserialize"
        deserialize: Callable[[Any, Any], Any] = getattr(self, mangled)
        return deserialize(payload, obj_type)

    def __init__(self) -> None:
        self._by_name: dict[str, Converter] = {}
        self._by_class: dict[type, Converter] = {}
        self._writers: dict[type, Callable[[Any], Any]] = {}

    # --- reading -------------------------------------------------------------------------

    def deserialize(self, payload: str | None, obj_type: Any) -> Any:
        if payload is None:
            return None
        return self.deserialize_parsed(super().deserialize(payload, "object"), obj_type)

    def deserialize_parsed(self, data: Any, obj_type: Any) -> Any:
        """What `deserialize(json.dumps(data), obj_type)` returns, for JSON already parsed
        (the webhook parsed the body once, for its limits and the signature checks)."""
        if data is None:
            return None
        try:
            return self._converter(obj_type)(data)
        except _Default:
            return self._default_deserialize(data, obj_type)

    def _converter(self, obj_type: Any) -> Converter:
        if isinstance(obj_type, str):
            found = self._by_name.get(obj_type)
            if found is None:
                found = self._by_name[obj_type] = _nullable(self._for_name(obj_type))
            return found
        found = self._by_class.get(obj_type)
        if found is None:
            found = self._by_class[obj_type] = _nullable(self._for_class(obj_type))
        return found

    def _for_name(self, name: str) -> Converter:
        if name.startswith("list["):
            match = _LIST.match(name)
            if match is None or "," in match.group(1):
                return self._default_for(name)
            item = self._converter(match.group(1).strip())

            def read_list(payload: Any) -> Any:
                if type(payload) is not list:
                    raise _Default
                return [item(p) for p in payload]
            return read_list
        if name.startswith("dict("):
            match = _DICT.match(name)
            if match is None:
                return self._default_for(name)
            value = self._converter(match.group(2))

            def read_dict(payload: Any) -> Any:
                if type(payload) is not dict:
                    raise _Default
                return {k: value(v) for k, v in payload.items()}
            return read_dict
        native = self.NATIVE_TYPES_MAPPING.get(name)
        if native is not None:
            return self._for_class(native)
        try:
            cls = _load_class(name)
        except _Default:
            return self._default_for(name)
        return self._for_class(cls)

    def _default_for(self, obj_type: Any) -> Converter:
        def read(payload: Any) -> Any:
            return self._default_deserialize(payload, obj_type)
        return read

    def _for_class(self, cls: Any) -> Converter:
        if cls is object:
            return lambda payload: payload
        if cls is datetime:
            return _read_time
        if cls is date:
            return _read_date
        if cls in self.PRIMITIVE_TYPES:
            return _exactly(cls)
        if isinstance(cls, type) and issubclass(cls, Enum):
            return _enum(cls)
        if not hasattr(cls, "deserialized_types"):
            return lambda payload: payload
        if hasattr(cls, "get_real_child_model"):
            children: dict[str, Converter] = {}

            def read_child(payload: Any) -> Any:
                if type(payload) is not dict:
                    raise _Default
                try:
                    name = cls.get_real_child_model(payload)
                except Exception as exc:
                    raise _Default from exc
                if not name:
                    raise _Default
                child = children.get(name)
                if child is None:
                    child_class = _load_class(name)
                    if not hasattr(child_class, "deserialized_types"):
                        raise _Default
                    child = children[name] = self._model(child_class)
                return child(payload)
            return read_child
        return self._model(cls)

    def _model(self, cls: Any) -> Converter:
        """Like DefaultSerializer.__deserialize_model: Class(), then each known field the
        payload has, then the payload's other keys as they are."""
        if not hasattr(cls, "deserialized_types"):
            return lambda payload: payload
        names = dict(getattr(cls, "attribute_map", {}))
        names.update({k: k for k in cls.deserialized_types if k not in names})
        types = cls.deserialized_types
        fields = [(attr, key, self._lazy(types[attr])) for attr, key in names.items()]
        known = frozenset(names.values())

        def read_model(payload: Any) -> Any:
            if type(payload) is not dict:
                raise _Default
            model = cls()
            for attr, key, read in fields:
                if key in payload:
                    setattr(model, attr, read(payload[key]))
            for key in payload:
                if key not in known:
                    setattr(model, key, payload[key])
            return model
        return read_model

    def _lazy(self, obj_type: Any) -> Converter:
        """A field's converter, built at its first value (models refer to each other)."""
        built: list[Converter] = []

        def read(payload: Any) -> Any:
            if not built:
                built.append(self._converter(obj_type))
            return built[0](payload)
        return read

    # --- writing -------------------------------------------------------------------------

    def serialize(self, obj: Any) -> Any:
        if obj is None:
            return None
        writer = self._writers.get(type(obj))
        if writer is None:
            writer = self._writers[type(obj)] = self._writer_for(type(obj))
        return writer(obj)

    def _writer_for(self, kind: type) -> Callable[[Any], Any]:
        """The branch DefaultSerializer.serialize takes for values of this type (its
        isinstance checks depend on the type alone), decided once."""
        if issubclass(kind, self.PRIMITIVE_TYPES):
            return lambda obj: obj
        if issubclass(kind, list):
            return lambda obj: [self.serialize(o) for o in obj]
        if issubclass(kind, tuple):
            return lambda obj: tuple(self.serialize(o) for o in obj)
        if issubclass(kind, (datetime, date)):
            return lambda obj: obj.isoformat()
        if issubclass(kind, Enum):
            return lambda obj: obj.value
        if issubclass(kind, decimal.Decimal):
            return lambda obj: int(obj) if obj % 1 == 0 else float(obj)
        if issubclass(kind, dict):
            return lambda obj: {k: self.serialize(v) for k, v in obj.items()}
        if not hasattr(kind, "deserialized_types"):
            return lambda obj: DefaultSerializer.serialize(self, obj)
        model: Any = kind  # a generated model class: its maps are class attributes
        names = dict(getattr(model, "attribute_map", {}))
        names.update({k: k for k in model.deserialized_types if k not in names})
        pairs = [(attr, names[attr]) for attr in model.deserialized_types]

        def write_model(obj: Any) -> Any:
            out = {}
            for attr, key in pairs:
                value = getattr(obj, attr)
                if value is not None:
                    out[key] = self.serialize(value)
            return out
        return write_model
