"""A fixed-size state layout as a value: one field list drives a state class's slots,
its defaults, its byte codec and the struct format.

Why: adding a field to ``UserState`` used to mean editing ``__slots__``,
``__init__``, ``to_bytes``, ``from_bytes`` and the struct format in step, and a
slip there misreads every stored state.  A ``StateLayout`` lists each field once,
in byte order, and everything else is derived from it.  A layout is a value
(version + fields), not module-level code, so a later state migration can keep
one layout per stored version and decode old bytes with the old one.

Why generated code: the codec sits on the worker's per-event path (a state is
decoded on a cache miss and encoded after every event), and a loop over the
fields with ``getattr``/``setattr`` is several times slower than straight-line
code.  So the layout writes that straight-line Python once, at import, from the
field list (``exec`` of source it builds itself from field names and struct
codes, nothing external); ``Codec.source`` keeps the text for reading.

Fields, in byte order after the leading version byte:

* ``Scalar(name, code, default)``: one number (struct ``code``: d, q, Q, I, H, B, b).
* ``Array(name, code, count)``: a list of ``count`` numbers, zeros by default.
* ``Texts(name, size, count)``: ``count`` short byte strings (ids) of at most ``size``
  bytes each, ``b""`` by default (struct ``p``: a length byte, then the bytes).
* ``RingField(name, kind, slots, bucket_width, buckets)``: a ring object built as
  ``kind(slots, bucket_width)``, stored as its ``head`` (``q``) then each of its
  per-bucket lists ``buckets = ((attribute, code), ...)``.  A ring class has
  exactly the attributes ``slots``, ``width``, ``head`` and those lists (checked:
  decoding sets them directly instead of building empty lists to throw away).

Migration (``Step``, ``StateHistory``): the code keeps the layout of every stored
version it can still read, and one ``Step`` per version step (n -> n + 1).  A step
is driven by the two field lists: a field stored alike in both is copied by name,
a field only the newer version has takes its default, a field only the older one
has is dropped, and ``rebuild`` may compute a newer field from the whole older
state (it must, for a field whose storage changed under the same name), and
``restore`` may give such a field its way back (then ``downgrade`` can still write
the older version, for a rolling upgrade).  Only
bytes of another version take this path: ``compile(older=history.upgrade)``
leaves the current version's decode the generated straight-line code and calls
``older`` instead of raising when the version byte or the size differs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence, Union

#: The struct codes a field may use (little-endian, no padding: the format starts with "<").
CODES = frozenset("dqQIHBb")


class StateFormatError(ValueError):
    """Stored state written by a different version of this code (or corrupt)."""


@dataclass(frozen=True)
class Scalar:
    """One number."""

    name: str
    code: str
    default: float = 0

    @property
    def format(self) -> str:
        return self.code

    @property
    def width(self) -> int:
        """How many values ``struct`` packs for this field."""
        return 1

    def init_source(self) -> str:
        default = float(self.default) if self.code == "d" else int(self.default)
        return f"self.{self.name} = {default!r}"

    def encode_source(self, var: str) -> tuple[list[str], list[str]]:
        """(lines before the pack call, the pack call's arguments)."""
        return [], [f"self.{self.name}"]

    def decode_source(self, var: str, at: int) -> list[str]:
        """Lines setting the field from ``v[at:at + width]``."""
        return [f"self.{self.name} = v[{at}]"]


@dataclass(frozen=True)
class Array:
    """A fixed-length list of numbers, zeros by default."""

    name: str
    code: str
    count: int

    @property
    def format(self) -> str:
        return f"{self.count}{self.code}"

    @property
    def width(self) -> int:
        return self.count

    def init_source(self) -> str:
        return f"self.{self.name} = [0] * {self.count}"

    def encode_source(self, var: str) -> tuple[list[str], list[str]]:
        return [], [f"*self.{self.name}"]

    def decode_source(self, var: str, at: int) -> list[str]:
        return [f"self.{self.name} = v[{at}:{at + self.count}]"]  # a list slice: a fresh, mutable list


@dataclass(frozen=True)
class RingField:
    """A ring counter: its head bucket index, then each per-bucket list."""

    name: str
    kind: type
    slots: int
    bucket_width: int
    buckets: tuple[tuple[str, str], ...]

    @property
    def format(self) -> str:
        return "q" + "".join(f"{self.slots}{code}" for _, code in self.buckets)

    @property
    def width(self) -> int:
        return 1 + self.slots * len(self.buckets)

    def init_source(self) -> str:
        return f"self.{self.name} = _{self.kind.__name__}({self.slots}, {self.bucket_width})"

    def encode_source(self, var: str) -> tuple[list[str], list[str]]:
        return [f"{var} = self.{self.name}"], [f"{var}.head", *(f"*{var}.{attr}" for attr, _ in self.buckets)]

    def decode_source(self, var: str, at: int) -> list[str]:
        lines = [
            f"{var} = _new(_{self.kind.__name__})",
            f"{var}.slots = {self.slots}",
            f"{var}.width = {self.bucket_width}",
            f"{var}.head = v[{at}]",
        ]
        for k, (attr, _) in enumerate(self.buckets):
            start = at + 1 + k * self.slots
            lines.append(f"{var}.{attr} = v[{start}:{start + self.slots}]")
        return lines + [f"self.{self.name} = {var}"]

    def check_kind(self) -> None:
        """Decoding sets the ring's attributes directly: they must be exactly the ones stored here."""
        slots = {name for k in self.kind.__mro__ for name in getattr(k, "__slots__", ())}
        known = {"slots", "width", "head", *(attr for attr, _ in self.buckets)}
        if slots != known:
            raise ValueError(
                f"state field {self.name}: {self.kind.__name__} has attributes {sorted(slots)}, "
                f"the layout stores {sorted(known)}"
            )


@dataclass(frozen=True)
class Texts:
    """A fixed number of short byte strings, ``b""`` by default (ids the state must hand on,
    such as the merchants its open loans were drawn at: a hash could not be routed by)."""

    name: str
    size: int  # bytes each, at most 255 (a Pascal string's length byte)
    count: int

    @property
    def format(self) -> str:
        return f"{self.size + 1}p" * self.count

    @property
    def width(self) -> int:
        return self.count

    def init_source(self) -> str:
        return f"self.{self.name} = [b''] * {self.count}"

    def encode_source(self, var: str) -> tuple[list[str], list[str]]:
        return [], [f"*self.{self.name}"]

    def decode_source(self, var: str, at: int) -> list[str]:
        return [f"self.{self.name} = v[{at}:{at + self.count}]"]


Field = Union[Scalar, Array, Texts, RingField]


@dataclass(frozen=True)
class Codec:
    """The functions a layout derives, to use as a state class's methods
    (``__init__ = codec.init``, ``to_bytes = codec.encode``,
    ``from_bytes = classmethod(codec.decode)``: no wrapper call on the hot path)."""

    init: Callable[[Any], None]  # sets every field to its default
    encode: Callable[[Any], bytes]  # state -> bytes, led by the version byte
    decode: Callable[[type, bytes], Any]  # (class, bytes) -> state; other bytes: ``older``, else StateFormatError
    source: str  # the generated Python, for reading and debugging


@dataclass(frozen=True)
class StateLayout:
    """One version of a state's fields, in byte order.

    ``zero_tail``: the last that many fields (integer scalars and arrays) are
    left off the stored bytes while they are all zero (at their defaults), so a
    state stores ``compact_size`` bytes until it uses them: room most states
    never need costs them nothing, neither in bytes nor in packing them, and
    decoding sets them to their defaults.  Both sizes are this version's.
    """

    version: int
    fields: tuple[Field, ...]
    zero_tail: int = 0

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"state fields named twice: {', '.join(duplicated)}")
        for f in self.fields:
            if isinstance(f, Texts):
                if not 1 <= f.size <= 255:
                    raise ValueError(f"state field {f.name}: texts of {f.size} bytes do not fit a length byte")
                continue
            codes = [code for _, code in f.buckets] if isinstance(f, RingField) else [f.code]
            if not set(codes) <= CODES:
                raise ValueError(f"state field {f.name}: struct codes {codes} outside {''.join(sorted(CODES))}")
            if isinstance(f, RingField):
                f.check_kind()
        if not 0 <= self.version <= 255:
            raise ValueError(f"state version {self.version} does not fit its byte")
        if not 0 <= self.zero_tail <= len(self.fields):
            raise ValueError(f"a zero tail of {self.zero_tail} fields, of {len(self.fields)}")
        nonzero = [f.name for f in self._tail
                   if not isinstance(f, (Scalar, Array)) or f.code == "d" or getattr(f, "default", 0) != 0]
        if nonzero:
            raise ValueError(f"fields left off while zero must be integers defaulting to 0: {', '.join(nonzero)}")

    @property
    def names(self) -> tuple[str, ...]:
        """The state's attribute names (its ``__slots__``)."""
        return tuple(f.name for f in self.fields)

    @property
    def format(self) -> str:
        """The struct format: the version byte, then every field in order."""
        return "<B" + "".join(f.format for f in self.fields)

    @property
    def size(self) -> int:
        return struct.calcsize(self.format)

    @property
    def _head(self) -> tuple[Field, ...]:
        return self.fields[:len(self.fields) - self.zero_tail]

    @property
    def _tail(self) -> tuple[Field, ...]:
        return self.fields[len(self.fields) - self.zero_tail:]

    @property
    def _head_format(self) -> str:
        """The struct format of what a compact state stores: the version byte and the fields before the tail."""
        return "<B" + "".join(f.format for f in self._head)

    @property
    def compact_size(self) -> int:
        """The stored size while the ``zero_tail`` fields are all zero (``size`` without a tail)."""
        return struct.calcsize(self._head_format)

    @property
    def sizes(self) -> tuple[int, ...]:
        """The sizes this version is stored in: ``compact_size`` (with a zero tail), ``size``."""
        return (self.compact_size, self.size) if self.zero_tail else (self.size,)

    def compile(self, older: Callable[[type, bytes], Any] | None = None) -> Codec:
        """Generate and compile the init / encode / decode functions of this layout.

        ``older(cls, data)`` is what decode returns for bytes of another size or
        version (``StateHistory.upgrade``: migrate, or raise StateFormatError);
        without it decode raises StateFormatError for them.
        """
        source = "\n".join((self._init_source(), self._encode_source(), self._decode_source(older is not None)))
        codec = struct.Struct(self.format)
        head = struct.Struct(self._head_format)
        namespace: dict[str, Any] = {
            "_pack": codec.pack, "_unpack": codec.unpack, "_new": object.__new__, "StateFormatError": StateFormatError,
            "_older": older, "_pack_head": head.pack, "_unpack_head": head.unpack,
        }
        namespace.update({f"_{f.kind.__name__}": f.kind for f in self.fields if isinstance(f, RingField)})
        exec(compile(source, f"<state layout v{self.version}>", "exec"), namespace)  # noqa: S102 - our own source
        return Codec(namespace["__init__"], namespace["to_bytes"], namespace["from_bytes"], source)

    # -- code generation: one function each, straight-line, fields in byte order ------
    def _init_source(self) -> str:
        body = ['"""Every field at its default."""', *(f.init_source() for f in self.fields)]
        return _function("__init__(self) -> None", body)

    def _encode_source(self) -> str:
        body = [f'"""Fixed-length encoding ({self.size} bytes), led by the layout version ({self.version})."""']
        args = [str(self.version)]
        for i, f in enumerate(self.fields):
            setup, packed = f.encode_source(f"f{i}")
            body += setup
            args += packed
        if not self.zero_tail:
            return _function("to_bytes(self) -> bytes", [*body, f"return _pack({', '.join(args)})"])
        body[0] = (f'"""Encoding led by the layout version ({self.version}): {self.size} bytes, '
                   f'{self.compact_size} while the zero tail is zero."""')
        head = args[:len(args) - sum(1 for _ in self._tail)]  # a tail field (scalar or array) packs as one argument
        used = " or ".join(f"any(self.{f.name})" if isinstance(f, Array) else f"self.{f.name}" for f in self._tail)
        return _function("to_bytes(self) -> bytes", [
            *body, f"if not ({used}):", f"    return _pack_head({', '.join(head)})", f"return _pack({', '.join(args)})",
        ])

    def _decode_source(self, has_older: bool) -> str:
        if has_older:
            doc = "bytes of another size or version go to ``_older``"
            otherwise = ["    return _older(cls, data)"]
        else:
            doc = "StateFormatError for other bytes (another version, corrupt)"
            otherwise = [
                "    raise StateFormatError(",
                '        f"stored user state is {len(data)} bytes, version {data[0] if data else None}; "',
                f'        "this monitor reads {" or ".join(map(str, self.sizes))} bytes, version {self.version}"',
                "    )",
            ]
        compact = []
        if self.zero_tail:  # the head as stored, then the tail at its defaults
            compact = [f"if len(data) == {self.compact_size} and data[0] == {self.version}:",
                       *(f"    {line}" for line in self._decode_fields(self._head, "_unpack_head")),
                       *(f"    {f.init_source()}" for f in self._tail), "    return self"]
        mismatch = [
            f'"""Decode ``to_bytes`` output; {doc}."""',
            *compact,
            f"if len(data) != {self.size} or data[0] != {self.version}:",
            *otherwise,
        ]
        return _function("from_bytes(cls, data: bytes)", [*mismatch, *self._decode_fields(self.fields, "_unpack"),
                                                           "return self"])

    @staticmethod
    def _decode_fields(fields: tuple[Field, ...], unpack: str) -> list[str]:
        """Lines unpacking ``data`` with ``unpack`` into a new ``self`` holding ``fields``."""
        body = [f"v = list({unpack}(data))", "self = _new(cls)"]
        at = 1  # after the version byte
        for i, f in enumerate(fields):
            body += f.decode_source(f"f{i}", at)
            at += f.width
        return body

    def state_class(self, name: str | None = None) -> type:
        """A plain class of this layout: its fields as slots, the generated ``__init__``,
        ``to_bytes`` and ``from_bytes`` (what a migration decodes an older version into)."""
        codec = self.compile()
        return type(name or f"StateV{self.version}", (), {
            "__slots__": self.names, "__init__": codec.init, "to_bytes": codec.encode,
            "from_bytes": classmethod(codec.decode), "__module__": __name__,
        })


def _stored_alike(old: Field, new: Field) -> bool:
    """Whether a field's stored value means the same in both layouts (a scalar's default may differ)."""
    if type(old) is not type(new):
        return False
    if isinstance(old, Scalar):
        return old.code == new.code  # type: ignore[union-attr]
    return old == new


@dataclass(frozen=True)
class Step:
    """One version step: ``source`` (version n) to ``target`` (version n + 1).

    Fields stored alike in both are copied by name; fields only ``target`` has take
    their defaults; fields only ``source`` has are dropped; ``rebuild[name](old)``
    computes a ``target`` field from the whole ``source`` state, and is required for
    a field stored differently under the same name.  ``restore[name](new)`` is the
    way back for a rebuilt field, when there is one (a narrower number type whose
    values the older, wider one holds as they are): with a ``restore`` for every
    rebuilt field, the step can be taken backwards for a rolling upgrade.
    """

    source: StateLayout
    target: StateLayout
    rebuild: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    restore: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.target.version != self.source.version + 1:
            raise ValueError(
                f"a step goes from one version to the next, not {self.source.version} -> {self.target.version}"
            )
        unknown = sorted(set(self.rebuild) - set(self.target.names))
        if unknown:
            raise ValueError(f"step to v{self.target.version} rebuilds fields it does not have: {', '.join(unknown)}")
        old = {f.name: f for f in self.source.fields}
        changed = sorted(
            f.name for f in self.target.fields
            if f.name in old and f.name not in self.rebuild and not _stored_alike(old[f.name], f)
        )
        if changed:
            raise ValueError(
                f"fields stored differently in v{self.source.version} and v{self.target.version}: "
                f"{', '.join(changed)}; give the step a rebuild for each (or a new name)"
            )
        stray = sorted(set(self.restore) - set(self.rebuild))
        if stray:
            raise ValueError(f"step to v{self.target.version} restores fields it does not rebuild: {', '.join(stray)}")

    @property
    def reversible(self) -> bool:
        """Whether ``downgrade`` can take this step backwards: every rebuilt field has a way back."""
        return set(self.rebuild) == set(self.restore)

    @property
    def copied(self) -> tuple[str, ...]:
        """Fields copied by name."""
        old = set(self.source.names)
        return tuple(n for n in self.target.names if n in old and n not in self.rebuild)

    @property
    def added(self) -> tuple[str, ...]:
        """Fields that start at their default."""
        old = set(self.source.names)
        return tuple(n for n in self.target.names if n not in old and n not in self.rebuild)

    @property
    def dropped(self) -> tuple[str, ...]:
        """Fields of ``source`` the newer version no longer stores."""
        new = set(self.target.names)
        return tuple(n for n in self.source.names if n not in new)

    def apply(self, old: Any, new: Any) -> None:
        """Fill ``new`` (a ``target`` state at its defaults) from ``old`` (a ``source`` state).

        Copied values are moved, not duplicated: ``old`` is to be thrown away.
        """
        for name in self.copied:
            setattr(new, name, getattr(old, name))
        for name, rebuild in self.rebuild.items():
            setattr(new, name, rebuild(old))


class StateHistory:
    """Every stored layout this code reads: ``current`` and the older ones of ``steps``,
    which chain one version to the next up to ``current``."""

    def __init__(self, current: StateLayout, steps: Sequence[Step] = ()) -> None:
        for before, after in zip(steps, steps[1:]):
            if before.target != after.source:
                raise ValueError(f"the step to v{before.target.version} and the step from it disagree on its layout")
        if steps and steps[-1].target != current:
            raise ValueError(f"the last step ends at a v{steps[-1].target.version} layout that is not the current one")
        self.current = current
        self.steps = tuple(steps)
        self._classes = tuple(step.source.state_class() for step in self.steps)
        self._first_step = {step.source.version: i for i, step in enumerate(self.steps)}

    @property
    def versions(self) -> tuple[int, ...]:
        """The versions whose bytes ``upgrade`` reads, oldest first (the current one last)."""
        return (*(step.source.version for step in self.steps), self.current.version)

    def layout(self, version: int) -> StateLayout:
        for known in (*(step.source for step in self.steps), self.current):
            if known.version == version:
                return known
        raise KeyError(version)

    def upgrade(self, cls: type, data: bytes) -> Any:
        """A ``cls`` state (the current layout) from bytes of an older stored version.

        StateFormatError for bytes of no known version and size (a newer version,
        one older than the oldest kept, or corrupt).
        """
        version = data[0] if data else None
        first = self._first_step.get(version)  # type: ignore[arg-type]
        if first is None or len(data) not in self.steps[first].source.sizes:
            readable = ", ".join(f"v{v} ({' or '.join(map(str, self.layout(v).sizes))} bytes)" for v in self.versions)
            raise StateFormatError(
                f"stored user state is {len(data)} bytes, version {version}; this monitor reads {readable}"
            )
        state = self._classes[first].from_bytes(data)
        last = len(self.steps) - 1
        for i in range(first, last + 1):
            new = cls() if i == last else self._classes[i + 1]()
            self.steps[i].apply(state, new)
            state = new
        return state

    @property
    def writable_versions(self) -> tuple[int, ...]:
        """The versions ``downgrade`` can write, newest first: the current one, and each
        older one reached by steps that only add or drop fields, or rebuild fields that
        have a way back (``Step.restore``)."""
        versions = [self.current.version]
        for step in reversed(self.steps):
            if not step.reversible:
                break
            versions.append(step.source.version)
        return tuple(versions)

    def downgrade(self, state: Any, version: int) -> bytes:
        """``state`` (the current layout) as the bytes of the older ``version``.

        For rolling deploys (``Settings.state_write_version``): while workers of the
        older version still share the group, the newer ones write what the older
        read.  Each step is taken backwards: fields stored alike are copied by name,
        fields the older version has and the newer dropped take their defaults, and
        fields the newer version added are not stored.
        """
        if version not in self.writable_versions:
            raise ValueError(
                f"cannot write state version {version}; this monitor writes versions "
                f"{', '.join(map(str, self.writable_versions))}"
            )
        first = self._first_step.get(version, len(self.steps))
        for i in range(len(self.steps) - 1, first - 1, -1):
            older, step = self._classes[i](), self.steps[i]
            for name in step.copied:
                setattr(older, name, getattr(state, name))
            for name, restore in step.restore.items():
                setattr(older, name, restore(state))
            state = older
        return state.to_bytes()  # type: ignore[no-any-return]


def _function(signature: str, body: list[str]) -> str:
    return f"def {signature}:\n" + "".join(f"    {line}\n" for line in body)
