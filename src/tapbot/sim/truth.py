"""Ground truth of the twin (DESIGN rule 7): what really happened on the simulated phone.

Only tests and scoring tools read it; monitors never do. It is the one part of the twin that
grows with the run (one row per touch, response and fault), so it is stored by column, not as
one Python object per event: floats in ``array('d')``, flags packed in one byte per row, strings
(targets, apps, descriptions) kept once each and referred to by an int code (text new on every
row, like ``"counter 1234 -> 1235"``, as UTF-8 bytes in one buffer). A touch costs about 53
bytes, a response 40 plus any new text; as Python objects they cost ~300 bytes together, which
a 24 h soak noticed (1.4 MB per simulated hour). Faults are rare and keep a dict of details.

The records (:class:`TruthTouch`, :class:`TruthResponse`, :class:`TruthFault`) are made like
dataclasses. Once appended to a :class:`GroundTruth` table the record becomes a *view* of its
row: the phone may keep it and change it later (a touch's ``t_up``, a fault's ``t_end`` or
``details``) and the table sees the change; reading a table (``truth.touches[i]``, iterating)
hands out fresh views. Records compare by value.

A run's truth can be saved next to its documents (:meth:`GroundTruth.to_json`) and scored
later; the JSON format is the same as when the records were plain objects.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar, Generic, TypeVar, overload

TRUTH_FORMAT = 1

# kinds of field, and how each is stored
_FLOAT = "float"  # array('d')
_OPT_FLOAT = "opt_float"  # array('d') + a presence bit (None when absent)
_BOOL = "bool"  # a bit of the row's flags byte
_NAME = "name"  # array('i') of codes into the table's strings (see _Strings)
_PAIR = "pair"  # two array('d') + a presence bit: (x, y) or None
_OBJECT = "object"  # a Python list (a fault's details: faults are rare)

_REQUIRED = object()


class _Field:
    """One field of a record: its name, how it is stored, its default (or required)."""

    __slots__ = ("default", "kind", "name")

    def __init__(self, name: str, kind: str, default: Any = _REQUIRED) -> None:
        self.name, self.kind, self.default = name, kind, default

    def normalize(self, value: Any) -> Any:
        """``value`` as this field stores it; TypeError/ValueError naming the field if bad."""
        k = self.kind
        if k == _OPT_FLOAT and value is None:
            return None
        if k in (_FLOAT, _OPT_FLOAT):
            return self._number(value)
        if k == _BOOL:
            if not isinstance(value, bool):
                raise TypeError(f"{self.name} must be true or false, not {value!r}")
            return value
        if k == _NAME:
            if not isinstance(value, str):
                raise TypeError(f"{self.name} must be a string, not {type(value).__name__}")
            return value
        if k == _PAIR:
            if value is None:
                return None
            try:
                x, y = value
            except (TypeError, ValueError):
                raise TypeError(f"{self.name} must be a pair of numbers or null, "
                                f"not {value!r}") from None
            return self._number(x), self._number(y)
        if not isinstance(value, dict):
            raise TypeError(f"{self.name} must be a mapping, not {type(value).__name__}")
        return value

    def _number(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{self.name} must be a number, not {type(value).__name__}")
        return float(value)

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default


class _Record:
    """Base of the truth records: a value object, or a view of one table row once appended."""

    __slots__ = ("_row", "_table", "_vals")
    _fields: ClassVar[tuple[_Field, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self).__name__
        fs = self._fields
        if len(args) > len(fs):
            raise TypeError(f"{cls}() takes {len(fs)} values, {len(args)} were given")
        vals = []
        for i, f in enumerate(fs):
            if i < len(args):
                if f.name in kwargs:
                    raise TypeError(f"{cls}() got two values for {f.name!r}")
                v = args[i]
            elif f.name in kwargs:
                v = kwargs.pop(f.name)
            elif f.default is not _REQUIRED:
                v = f.default_value()
            else:
                raise TypeError(f"{cls}() is missing {f.name!r}")
            vals.append(f.normalize(v))
        if kwargs:
            raise TypeError(f"{cls}() has no field {next(iter(kwargs))!r}")
        self._table: TruthTable | None = None
        self._row = -1
        self._vals: list[Any] | None = vals

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for i, f in enumerate(cls._fields):
            setattr(cls, f.name, property(_getter(i), _setter(i), doc=f"{f.name} ({f.kind})"))

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The record's fields, in order (the keys of its JSON object)."""
        return tuple(f.name for f in cls._fields)

    def astuple(self) -> tuple[Any, ...]:
        """The record's values, in field order."""
        if self._table is None:
            assert self._vals is not None
            return tuple(self._vals)
        return self._table.row(self._row)

    def asdict(self) -> dict[str, Any]:
        """The record as a dict of its fields (what its JSON object holds)."""
        return dict(zip(self.field_names(), self.astuple(), strict=True))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.astuple() == other.astuple()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={v!r}" for n, v in zip(self.field_names(), self.astuple(),
                                                       strict=True))
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.astuple())  # a copy is a detached value


def _getter(i: int) -> Callable[[_Record], Any]:
    def get(self: _Record) -> Any:
        table = self._table
        if table is None:
            return self._vals[i]  # type: ignore[index]
        return table.get(self._row, i)
    return get


def _setter(i: int) -> Callable[[_Record, Any], None]:
    def set_(self: _Record, value: Any) -> None:
        table = self._table
        value = self._fields[i].normalize(value)
        if table is None:
            self._vals[i] = value  # type: ignore[index]
        else:
            table.set(self._row, i, value)
    return set_


class TruthTouch(_Record):
    """One touch the phone received (``x_px``, ``y_px``: where the finger really was).

    Fields: ``t_down``, ``x_px``, ``y_px``, ``t_up`` (None while down), ``handled``, ``target``,
    ``ghost`` (default False), ``reported_px`` (default None).

    ``handled`` is False when the phone ignored the touch; ``target`` names what was hit:
    ``"counter:+"``, ``"launcher:Video"``, ``"nav:home"``, ``"video:toggle"``, ``"dialog:close"``,
    ``"key:a"``, ``"scroll"``, ``"none"`` (nothing reactive), or ``"ignored:<why>"`` with why one
    of ``freeze``, ``dialog``, ``boot``, ``dead_zone``. ``ghost`` marks a touch nobody made;
    ``reported_px`` is where the digitizer reported it (differs under touch offset drift).
    """

    __slots__ = ()
    _fields = (_Field("t_down", _FLOAT), _Field("x_px", _FLOAT), _Field("y_px", _FLOAT),
               _Field("t_up", _OPT_FLOAT), _Field("handled", _BOOL), _Field("target", _NAME),
               _Field("ghost", _BOOL, False), _Field("reported_px", _PAIR, None))
    t_down: float
    x_px: float
    y_px: float
    t_up: float | None
    handled: bool
    target: str
    ghost: bool
    reported_px: tuple[float, float] | None


class TruthResponse(_Record):
    """A visible reaction to a touch: ready at ``t_ready``, on the display at ``t_visible``.

    Fields: ``t_touch``, ``t_ready``, ``t_visible``, ``latency_s``, ``app``, ``what``.
    """

    __slots__ = ()
    _fields = (_Field("t_touch", _FLOAT), _Field("t_ready", _FLOAT), _Field("t_visible", _FLOAT),
               _Field("latency_s", _FLOAT), _Field("app", _NAME), _Field("what", _NAME))
    t_touch: float
    t_ready: float
    t_visible: float
    latency_s: float
    app: str
    what: str


class TruthFault(_Record):
    """An injected fault; ``t_end`` is None while it lasts (e.g. a crash dialog still up).

    Fields: ``kind``, ``t_start``, ``t_end``, ``app``, ``details`` (default: a new empty dict;
    the same dict on every read, so ``fault.details[key] = value`` sticks).
    """

    __slots__ = ()
    _fields = (_Field("kind", _NAME), _Field("t_start", _FLOAT), _Field("t_end", _OPT_FLOAT),
               _Field("app", _NAME), _Field("details", _OBJECT, dict))
    kind: str
    t_start: float
    t_end: float | None
    app: str
    details: dict[str, Any]


#: Distinct strings a table keeps as Python strings (targets, app names: a small set).
INTERNED_MAX = 512


class _Strings:
    """The strings of a table's text fields, each referred to by an int code.

    The first :data:`INTERNED_MAX` distinct strings are kept once each (code >= 0); a new one
    after that goes, as UTF-8, into one byte buffer (code < 0). Text that is new on every row
    (``"counter 1234 -> 1235"``) then costs its bytes, not a Python object and a dict entry.
    """

    __slots__ = ("_blob", "_ends", "_index", "_strings")

    def __init__(self) -> None:
        self._strings: list[str] = []
        self._index: dict[str, int] = {}
        self._blob = bytearray()
        self._ends = array("Q")  # where each buffered string ends in _blob

    def code(self, s: str) -> int:
        """The code of ``s`` (adding it if new)."""
        code = self._index.get(s)
        if code is not None:
            return code
        if len(self._strings) < INTERNED_MAX:
            code = self._index[s] = len(self._strings)
            self._strings.append(s)
            return code
        self._blob += s.encode("utf-8")
        self._ends.append(len(self._blob))
        return -len(self._ends)

    def __getitem__(self, code: int) -> str:
        if code >= 0:
            return self._strings[code]
        i = -code - 1
        start = self._ends[i - 1] if i else 0
        return self._blob[start:self._ends[i]].decode("utf-8")

    @property
    def nbytes(self) -> int:
        """Bytes held: the kept strings (object, list slot, dict entry) and the buffer."""
        kept = sum(49 + len(s) + 8 + 64 for s in self._strings)
        return kept + len(self._blob) + self._ends.buffer_info()[1] * self._ends.itemsize


R = TypeVar("R", bound=_Record)


class TruthTable(Sequence[R], Generic[R]):
    """The rows of one kind of record, stored by column; reads hand out views of rows."""

    def __init__(self, record: type[R]) -> None:
        self._record = record
        self._n = 0
        self._flags = array("B")  # one byte per row: bool fields and presence bits
        self._arrays: list[array] = [self._flags]  # every column, for nbytes
        self._strings = _Strings()
        self._objects: list[list[Any]] = []
        self._float_columns: dict[str, array] = {}
        # per field: read a row, write a row, append a value (returns the row's flag bits)
        self._get: list[Callable[[int], Any]] = []
        self._set: list[Callable[[int, Any], None]] = []
        self._add: list[Callable[[Any], int]] = []
        bit = 1
        for f in record._fields:
            bit = self._add_column(f, bit)
        if bit > 0x100:
            raise AssertionError(f"{record.__name__}: more than 8 flag bits")

    def _column(self, typecode: str) -> array:
        col = array(typecode)
        self._arrays.append(col)
        return col

    def _add_column(self, f: _Field, bit: int) -> int:
        """The column(s) of field ``f``; returns the next free flag bit."""
        flags, k = self._flags, f.kind

        def put_bit(r: int, on: bool) -> None:
            flags[r] = (flags[r] & ~bit) | (bit if on else 0)

        if k == _FLOAT:
            col = self._float_columns[f.name] = self._column("d")
            self._get.append(col.__getitem__)
            self._set.append(col.__setitem__)
            self._add.append(lambda v: col.append(v) or 0)
            return bit
        if k == _OPT_FLOAT:
            ocol = self._column("d")

            def set_opt(r: int, v: float | None) -> None:
                ocol[r] = 0.0 if v is None else v
                put_bit(r, v is not None)

            def add_opt(v: float | None) -> int:
                ocol.append(0.0 if v is None else v)
                return 0 if v is None else bit

            self._get.append(lambda r: ocol[r] if flags[r] & bit else None)
            self._set.append(set_opt)
            self._add.append(add_opt)
            return bit << 1
        if k == _BOOL:
            self._get.append(lambda r: bool(flags[r] & bit))
            self._set.append(put_bit)
            self._add.append(lambda v: bit if v else 0)
            return bit << 1
        if k == _NAME:
            codes, strings = self._column("i"), self._strings
            self._get.append(lambda r: strings[codes[r]])
            self._set.append(lambda r, v: codes.__setitem__(r, strings.code(v)))
            self._add.append(lambda v: codes.append(strings.code(v)) or 0)
            return bit
        if k == _PAIR:
            xs, ys = self._column("d"), self._column("d")

            def set_pair(r: int, v: tuple[float, float] | None) -> None:
                xs[r], ys[r] = (0.0, 0.0) if v is None else v
                put_bit(r, v is not None)

            def add_pair(v: tuple[float, float] | None) -> int:
                x, y = (0.0, 0.0) if v is None else v
                xs.append(x)
                ys.append(y)
                return 0 if v is None else bit

            self._get.append(lambda r: (xs[r], ys[r]) if flags[r] & bit else None)
            self._set.append(set_pair)
            self._add.append(add_pair)
            return bit << 1
        objs: list[Any] = []
        self._objects.append(objs)
        self._get.append(objs.__getitem__)
        self._set.append(objs.__setitem__)
        self._add.append(lambda v: objs.append(v) or 0)
        return bit

    # ------------------------------------------------------------------ rows

    def append(self, record: R) -> None:
        """Add ``record`` as the last row. A detached record becomes a view of that row (later
        changes to it land in the table); a view of another row is copied."""
        if type(record) is not self._record:
            raise TypeError(f"expected a {self._record.__name__}, got {type(record).__name__}")
        values = record.astuple()
        flags = 0
        for add, v in zip(self._add, values, strict=True):
            flags |= add(v)
        self._flags.append(flags)
        row, self._n = self._n, self._n + 1
        if record._table is None:
            record._table, record._row, record._vals = self, row, None

    def extend(self, records: Iterable[R]) -> None:
        """Append each of ``records``."""
        for r in records:
            self.append(r)

    def get(self, row: int, i: int) -> Any:
        """Field ``i`` of ``row``."""
        return self._get[i](row)

    def set(self, row: int, i: int, value: Any) -> None:
        """Set field ``i`` of ``row`` (``value`` already normalized)."""
        self._set[i](row, value)

    def row(self, row: int) -> tuple[Any, ...]:
        """The values of ``row``, in field order."""
        return tuple(get(row) for get in self._get)

    def values(self, name: str) -> Iterator[Any]:
        """Every row's value of field ``name``, in order, without making records."""
        names = self._record.field_names()
        if name not in names:
            raise KeyError(f"{self._record.__name__} has no field {name!r}")
        col = self._float_columns.get(name)
        if col is not None:
            return iter(col)
        get = self._get[names.index(name)]
        return (get(r) for r in range(self._n))

    def _view(self, row: int) -> R:
        rec = self._record.__new__(self._record)
        rec._table, rec._row, rec._vals = self, row, None
        return rec

    @property
    def nbytes(self) -> int:
        """Bytes the table holds: its columns' buffers, its strings and its object slots (not
        what the objects hold: a fault's details)."""
        size = sum(a.buffer_info()[1] * a.itemsize for a in self._arrays)
        return size + self._strings.nbytes + 8 * sum(len(objs) for objs in self._objects)

    # ------------------------------------------------------------------ sequence

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> list[R]: ...

    def __getitem__(self, index: int | slice) -> R | list[R]:
        if isinstance(index, slice):
            return [self._view(r) for r in range(*index.indices(self._n))]
        row = index + self._n if index < 0 else index
        if not 0 <= row < self._n:
            raise IndexError(f"{self._record.__name__} index {index} out of range")
        return self._view(row)

    def __iter__(self) -> Iterator[R]:
        for row in range(self._n):
            yield self._view(row)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (TruthTable, list, tuple)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Iterable[R]) -> list[R]:
        return [*self, *other]

    def __radd__(self, other: Iterable[R]) -> list[R]:
        return [*other, *self]

    def __repr__(self) -> str:
        return f"<{self._record.__name__} table: {self._n} rows>"


def _num(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class GroundTruth:
    """Everything the twin knows happened, for scorers and tests.

    ``touches``, ``responses`` and ``faults`` are tables (sequences with ``append``) of
    :class:`TruthTouch`, :class:`TruthResponse` and :class:`TruthFault`, in the order the phone
    recorded them. Two truths are equal when their rows are.
    """

    def __init__(self, touches: Iterable[TruthTouch] = (),
                 responses: Iterable[TruthResponse] = (),
                 faults: Iterable[TruthFault] = ()) -> None:
        self._touches = TruthTable(TruthTouch)
        self._responses = TruthTable(TruthResponse)
        self._faults = TruthTable(TruthFault)
        self._touches.extend(touches)
        self._responses.extend(responses)
        self._faults.extend(faults)

    @property
    def touches(self) -> TruthTable[TruthTouch]:
        """Every touch the phone received, in order."""
        return self._touches

    @property
    def responses(self) -> TruthTable[TruthResponse]:
        """Every visible reaction to a touch, in the order they showed."""
        return self._responses

    @property
    def faults(self) -> TruthTable[TruthFault]:
        """Every injected fault, in the order they started."""
        return self._faults

    @property
    def nbytes(self) -> int:
        """Bytes the three tables hold (see :attr:`TruthTable.nbytes`): what the truth costs."""
        return self._touches.nbytes + self._responses.nbytes + self._faults.nbytes

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GroundTruth):
            return NotImplemented
        return (self.touches == other.touches and self.responses == other.responses
                and self.faults == other.faults)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"GroundTruth({len(self.touches)} touches, {len(self.responses)} responses, "
                f"{len(self.faults)} faults)")

    def faults_between(self, t0: float, t1: float, kind: str | None = None) -> list[TruthFault]:
        """Faults (of ``kind``, if given) whose window overlaps ``[t0, t1]``.

        A fault still going (``t_end`` None) counts as lasting for ever.
        """
        out = []
        for f in self.faults:
            end = f.t_end if f.t_end is not None else math.inf
            if f.t_start <= t1 and end >= t0 and (kind is None or f.kind == kind):
                out.append(f)
        return out

    def responses_between(self, t0: float, t1: float) -> list[TruthResponse]:
        """Responses to touches made in ``[t0, t1]``."""
        rows = self.responses
        return [rows[i] for i, t in enumerate(rows.values("t_touch")) if t0 <= t <= t1]

    def to_json(self) -> str:
        """The whole truth as one JSON document (floats are exact: ``repr`` round trip)."""
        def dump(obj: Any) -> str:
            return json.dumps(obj, separators=(",", ":"), allow_nan=False)

        def rows(table: TruthTable[Any], fix: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
            return ",".join(dump(fix(r.asdict())) for r in table)

        def fault(d: dict[str, Any]) -> dict[str, Any]:
            d["t_end"] = _num(d["t_end"])
            return d

        def same(d: dict[str, Any]) -> dict[str, Any]:
            return d

        return (f'{{"format":{TRUTH_FORMAT},"touches":[{rows(self.touches, same)}],'
                f'"responses":[{rows(self.responses, same)}],'
                f'"faults":[{rows(self.faults, fault)}]}}')

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        """Read what :meth:`to_json` wrote; raises ``ValueError`` naming what is wrong."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"ground truth: not JSON ({exc.msg} at line {exc.lineno})") from exc
        if not isinstance(doc, dict) or doc.get("format") != TRUTH_FORMAT:
            raise ValueError(f"ground truth: expected format {TRUTH_FORMAT}, "
                             f"got {doc.get('format') if isinstance(doc, dict) else doc!r}")
        truth = cls()
        for name, table in (("touches", truth.touches), ("responses", truth.responses),
                            ("faults", truth.faults)):
            rows = doc.get(name) or []
            if not isinstance(rows, list):
                raise ValueError(f"ground truth: {name} must be a list")
            names = set(table._record.field_names())
            for i, row in enumerate(rows):
                if not isinstance(row, dict) or not set(row) <= names:
                    raise ValueError(f"ground truth: {name}[{i}] has unexpected fields")
                try:
                    table.append(table._record(**row))
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"ground truth: {name}[{i}]: {exc}") from exc
        return truth
