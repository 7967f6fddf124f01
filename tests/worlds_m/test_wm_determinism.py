import json

import pytest

from stream.worlds_m.generate import generate
from wm_common import WORLD_NAMES


def blob(res):
    ev, lb, _ = res
    return "\n".join(json.dumps(x, separators=(",", ":")) for x in ev + lb)


@pytest.mark.parametrize("world", WORLD_NAMES)
def test_same_args_same_bytes_other_seed_differs(world):
    a = blob(generate(world, 7, 150, 30, 10))
    assert a == blob(generate(world, 7, 150, 30, 10))
    assert a != blob(generate(world, 8, 150, 30, 10))


def test_unknown_world_raises():
    with pytest.raises(KeyError):
        generate("no_such_world", 1, 10, 5, 5)
